//! The app's pages. Each reads the shared [`crate::app::AppState`].

pub mod live;
pub mod metrics;
