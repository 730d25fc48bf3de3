//! App state: a small `Copy` struct of signals in context, which every
//! component takes the handles it needs from. The demo itself (clock,
//! simulator, stores) is one plain engine value in a signal; the
//! [`Tick`] says when time passed (see `refresh`).
//!
//! ```ignore
//! let AppState { demo, tick, .. } = expect_context::<AppState>();
//! ```

use leptos::prelude::*;
use o11y_engine::demo::{Demo, DemoConfig};

use crate::fragment::Page;
use crate::refresh::Tick;
use crate::timer::real_now_ms;

/// Everything the components share.
#[derive(Clone, Copy)]
pub struct AppState {
    pub demo: RwSignal<Demo>,
    /// The last error the demo reported, shown in a banner.
    pub error: RwSignal<Option<String>>,
    pub page: RwSignal<Page>,
    /// A message about the workspace (restored, shared, unreadable).
    pub notice: RwSignal<Option<Notice>>,
    /// Counts while the page runs: what changes with time refreshes on it.
    pub tick: Tick,
}

/// A message about the workspace, with the text of an unreadable one to download.
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    pub message: String,
    pub download: Option<String>,
}

/// A demo started now with the default settings.
pub fn fresh_demo() -> Demo {
    Demo::new(DemoConfig::default(), real_now_ms() as i64)
}
