//! O11y Playground in the browser: a Leptos client-side app over `o11y-engine`.
//!
//! Components read signals and call methods of the engine's plain types; the
//! logic lives in the engine. See ARCHITECTURE.md for the code map. From the
//! bottom up: `timer`, `fragment` (the URL), `refresh` (the one tick) and
//! `state` (the app state in context); `components` the pages share; the
//! `pages`; and `app`, the shell that routes to them.

mod app;
mod charts;
mod components;
mod files;
mod fragment;
mod learn;
mod pages;
mod perf;
mod present;
mod prometheus_http;
mod refresh;
mod simulator_controls;
mod state;
mod timer;
mod workspace;

fn main() {
    // Prints a panic's message to the console in builds with the prebuilt
    // std; where scripts/setup.sh rebuilds std to abort at once
    // (SMALL_STD_FLAGS), a panic traps before any hook runs.
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
