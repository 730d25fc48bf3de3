//! O11y Playground in the browser: a Leptos client-side app over `o11y-engine`.
//!
//! Components read signals and call methods of the engine's plain types; the
//! logic lives in the engine. See ARCHITECTURE.md for the code map.

mod app;
mod charts;
mod datasource;
mod files;
mod pages;
mod perf;
mod simulator;
mod timer;
mod workspace;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
