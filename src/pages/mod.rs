//! The app's pages, one module each. A page reads the shared
//! [`crate::state::AppState`], draws with [`crate::components`], and keeps
//! its URL state through [`crate::fragment`]; it never imports another
//! page (only `app` names them).

pub mod alerts;
pub mod dashboards;
pub mod explore;
pub mod learn;
pub mod live;
pub mod logs;
pub mod metrics;
pub mod relabel;
pub mod traces;
