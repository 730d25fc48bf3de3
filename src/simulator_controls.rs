//! The simulator's controls, on every page: a toolbar (pause, step, speed,
//! reset, traffic, error rate, the virtual clock) and a panel it opens with
//! the seed, the daily shape, failure toggles and schedules, and the
//! topology editor. (The simulator itself is `o11y_sim`: its `shop`,
//! `topology` and `failure`.)
//!
//! Settings read the demo tracked (they change only when edited); what
//! changes with time (the clock, active failures) also follows the tick.

use leptos::prelude::*;
use o11y_engine::sim::failure::Injection;
use o11y_engine::sim::failure::presets::{Preset, describe, presets};
use o11y_engine::sim::topology::Topology;

use crate::charts::format_clock_time;
use crate::state::{AppState, fresh_demo};

/// Speeds offered by the speed buttons.
const SPEEDS: [f64; 4] = [1.0, 10.0, 100.0, 1000.0];

/// The lengths of history the simulator panel offers, in hours (a day is
/// the store's retention).
const HISTORY_HOURS: [i64; 3] = [1, 6, 24];

/// "hour" or "6 hours": how much history, in words.
fn history_span(hours: i64) -> String {
    if hours <= 1 {
        "hour".to_string()
    } else {
        format!("{hours} hours")
    }
}

/// How far one press of "Step" moves a paused clock: one scrape.
const STEP_MS: i64 = 15_000;

/// Pause/resume, step, speed, reset, traffic and error rate, the clock, and
/// the button that opens the simulator panel.
#[component]
pub fn Controls() -> impl IntoView {
    let AppState {
        demo, error, tick, ..
    } = expect_context::<AppState>();
    let paused = Memo::new(move |_| demo.with(|d| d.clock().is_paused()));
    let speed = Memo::new(move |_| demo.with(|d| d.clock().speed()));
    let error_pct = Memo::new(move |_| demo.with(|d| d.error_rate() * 100.0));
    let rate = Memo::new(move |_| demo.with(|d| d.requests_per_s()));
    let entry = Memo::new(move |_| demo.with(|d| d.entry_service().to_string()));
    let open = RwSignal::new(false);

    let report = move |result: Result<(), o11y_engine::demo::DemoError>| {
        if let Err(e) = result {
            error.set(Some(e.to_string()));
        }
    };
    let toggle_pause = move |_| {
        demo.update(|d| {
            let clock = d.clock_mut();
            if clock.is_paused() {
                clock.resume()
            } else {
                clock.pause()
            }
        })
    };
    let speed_buttons = SPEEDS
        .into_iter()
        .map(|s| {
            view! {
                <button
                    class="speed"
                    class:active=move || speed.get() == s
                    aria-pressed=move || (speed.get() == s).to_string()
                    data-testid=format!("speed-{s}")
                    on:click=move |_| demo.update(|d| d.clock_mut().set_speed(s))
                >
                    {format!("{s}×")}
                </button>
            }
        })
        .collect_view();

    view! {
        <div class="controls" role="toolbar" aria-label="Simulator controls">
            <button data-testid="pause-toggle" on:click=toggle_pause>
                {move || if paused.get() { "Resume" } else { "Pause" }}
            </button>
            <button
                data-testid="step"
                title="Simulate the next 15 seconds (also while paused)"
                on:click=move |_| {
                    let mut result = Ok(());
                    demo.update(|d| result = d.step(STEP_MS));
                    report(result);
                }
            >
                "Step 15s"
            </button>
            <div class="speeds" role="group" aria-label="Speed">{speed_buttons}</div>
            <button
                data-testid="reset"
                on:click=move |_| {
                    error.set(None);
                    demo.set(fresh_demo());
                }
            >
                "Reset"
            </button>
            <label class="knob" title=move || format!("The share of requests {} (where traffic enters) fails on its own", entry.get())>
                "Error rate "
                <input
                    type="range"
                    min="0"
                    max="50"
                    step="0.5"
                    data-testid="error-rate-input"
                    prop:value=move || error_pct.get().to_string()
                    on:input=move |ev| {
                        let pct = event_target_value(&ev).parse::<f64>().unwrap_or(0.0);
                        demo.update(|d| d.set_error_rate(pct / 100.0));
                    }
                />
                <output>{move || format!("{:.1}%", error_pct.get())}</output>
            </label>
            <label class="knob">
                "Traffic "
                <input
                    type="range"
                    min="0"
                    max="1000"
                    step="1"
                    data-testid="rate-input"
                    prop:value=move || rate.get().to_string()
                    on:input=move |ev| {
                        let rate = event_target_value(&ev).parse::<f64>().unwrap_or(0.0);
                        demo.update(|d| d.set_requests_per_s(rate));
                    }
                />
                <output>{move || format!("{:.0} req/s", rate.get())}</output>
            </label>
            {move || {
                tick.track();
                demo.with(|d| d.is_lagging()).then(|| view! {
                    <span class="lagging" data-testid="sim-lagging" title="Too many requests to simulate at this speed: the virtual clock runs slower than asked">
                        "clock behind"
                    </span>
                })
            }}
            {move || {
                demo.with(|d| d.is_filling_history().then(|| view! {
                    <span class="filling" data-testid="history-filling" title="The history is simulated behind the last minutes shown: the charts fill in when it is done">
                        {format!("simulating the last {}…", history_span(d.config().backfill_ms / 3_600_000))}
                    </span>
                }))
            }}
            <span class="clock" data-testid="virtual-clock" title="Virtual time (UTC)">
                {move || {
                    tick.track();
                    format_clock_time(demo.with(|d| d.now_ms()))
                }}
            </span>
            <button
                class="sim-open"
                data-testid="simulator-toggle"
                aria-expanded=move || open.get().to_string()
                on:click=move |_| open.update(|o| *o = !*o)
            >
                {move || {
                    tick.track();
                    let active = demo.with(|d| d.shop().active_failures(d.now_ms()).len());
                    let badge = if active > 0 && !failures_hidden() { format!(" · {active} failing") } else { String::new() };
                    format!("Simulator {}{badge}", if open.get() { "▴" } else { "▾" })
                }}
            </button>
        </div>
        <Show when=move || open.get()>
            <SimulatorPanel />
        </Show>
    }
}

/// Whether an investigation is open, whose failures are the learner's to find.
fn failures_hidden() -> bool {
    expect_context::<AppState>()
        .lesson
        .with(|l| l.as_ref().is_some_and(|l| l.lesson.scenario.hidden))
}

/// Seed, daily shape, failures (now or scheduled) and the topology.
#[component]
fn SimulatorPanel() -> impl IntoView {
    view! {
        <section class="panel simulator" data-testid="simulator-panel" aria-label="Simulator">
            <RunSettings />
            {move || if failures_hidden() {
                view! {
                    <div class="sim-column failures" data-testid="failures-hidden">
                        <h2>"Failures"</h2>
                        <p class="muted">"Hidden during this investigation: finding them is the exercise. The lesson's debrief shows what was injected."</p>
                    </div>
                }.into_any()
            } else {
                view! { <FailureToggles /> }.into_any()
            }}
            <TopologyEditor />
            <crate::workspace::WorkspacePanel />
        </section>
    }
}

#[component]
fn RunSettings() -> impl IntoView {
    let AppState { demo, error, .. } = expect_context::<AppState>();
    let seed = RwSignal::new(demo.with_untracked(|d| d.config().seed.to_string()));
    let message = RwSignal::new(None::<String>);
    let daily = Memo::new(move |_| demo.with(|d| d.shop().topology().daily_shape));
    let history_h = Memo::new(move |_| demo.with(|d| d.config().backfill_ms / 3_600_000));
    // Starts over with this seed and `hours` of history, simulated behind
    // the first frame (the toolbar says so until it is there).
    let start_over = move |value: u64, hours: i64| {
        let mut result = Ok(());
        demo.update(|d| {
            let topology = d.shop().topology().clone();
            result = d.start_over(value, topology, hours * 3_600_000);
        });
        match result {
            Ok(()) => {
                error.set(None);
                message.set(Some(format!(
                    "Restarted with seed {value}: the last {} simulated again.",
                    history_span(hours)
                )));
            }
            Err(e) => message.set(Some(e.to_string())),
        }
    };
    let restart = move |_| {
        let Ok(value) = seed.get_untracked().trim().parse::<u64>() else {
            message.set(Some(
                "The seed is a whole number from 0 to 18446744073709551615.".into(),
            ));
            return;
        };
        start_over(value, history_h.get_untracked().max(1));
    };
    // The lengths offered, and the one in effect when a workspace asked
    // for another (1 to 24 hours).
    let history_options = move || {
        let now = history_h.get();
        let mut hours = HISTORY_HOURS.to_vec();
        if !hours.contains(&now) {
            hours.push(now);
            hours.sort_unstable();
        }
        hours
            .into_iter()
            .map(|h| {
                view! {
                    <option value=h.to_string() selected=h == now>
                        {if h == 1 { "1 hour".to_string() } else { history_span(h) }}
                    </option>
                }
            })
            .collect_view()
    };
    view! {
        <div class="sim-column">
            <h2>"Run"</h2>
            <label>
                "Seed "
                <input
                    class="seed"
                    inputmode="numeric"
                    data-testid="sim-seed"
                    prop:value=move || seed.get()
                    on:input=move |ev| seed.set(event_target_value(&ev))
                />
            </label>
            <button data-testid="sim-restart" on:click=restart>"Restart with this seed"</button>
            <label title="How much history is simulated when the demo starts over (metrics; traces and logs cover the last minutes)">
                "History "
                <select
                    data-testid="sim-history"
                    on:change=move |ev| {
                        let hours = event_target_value(&ev).parse::<i64>().unwrap_or(1);
                        start_over(demo.with_untracked(|d| d.config().seed), hours);
                    }
                >
                    {history_options}
                </select>
            </label>
            <label class="failure">
                <input
                    type="checkbox"
                    data-testid="sim-daily"
                    prop:checked=move || daily.get()
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        demo.update(|d| d.shop_mut().set_daily_shape(on));
                    }
                />
                " Daily traffic shape (0.4× at 03:00, 1.6× at 15:00 UTC)"
            </label>
            <p class="muted" data-testid="sim-detail">
                {move || {
                    let speed = demo.with(|d| d.clock().speed()).max(1.0);
                    let traced = o11y_engine::demo::DETAIL_PER_REAL_S / speed;
                    format!("Traces and logs: up to {traced:.0} requests per simulated second at this speed; metrics count every request.")
                }}
            </p>
            {move || message.get().map(|m| view! { <p class="muted" data-testid="sim-message">{m}</p> })}
        </div>
    }
}

/// What an injection is doing at `now_ms`.
fn injection_state(i: &Injection, now_ms: i64) -> (&'static str, String) {
    if now_ms < i.start_ms {
        (
            "scheduled",
            format!("from {}", format_clock_time(i.start_ms)),
        )
    } else if i.end_ms.is_some_and(|e| now_ms >= e) {
        (
            "over",
            format!("ended {}", format_clock_time(i.end_ms.unwrap_or(now_ms))),
        )
    } else {
        let until = i.end_ms.map_or_else(
            || "until switched off".to_string(),
            |e| format!("until {}", format_clock_time(e)),
        );
        (
            "active",
            format!("since {}, {until}", format_clock_time(i.start_ms)),
        )
    }
}

#[component]
fn FailureToggles() -> impl IntoView {
    let AppState { demo, tick, .. } = expect_context::<AppState>();
    // Aimed at the topology in effect: recomputed when it changes.
    let presets = Memo::new(move |_| demo.with(|d| presets(d.shop().topology())));
    // Why the simulator refused the last failure switched on.
    let refused = RwSignal::new(None::<String>);
    let toggles = move || {
        presets
            .get()
            .into_iter()
            .map(|Preset { id, label, failure }| {
                let testid = format!("failure-{id}");
                let failure = match failure {
                    Ok(f) => f,
                    Err(reason) => {
                        return view! {
                            <label class="failure disabled" title=reason.clone()>
                                <input type="checkbox" data-testid=testid disabled=true />
                                " " {label} " " <span class="muted">{format!("({reason})")}</span>
                            </label>
                        }
                        .into_any();
                    }
                };
                let f = failure.clone();
                let on = Memo::new(move |_| {
                    tick.track();
                    demo.with(|d| d.shop().active_failures(d.now_ms()).contains(&f))
                });
                view! {
                    <label class="failure" class:on=move || on.get()>
                        <input
                            type="checkbox"
                            data-testid=testid
                            prop:checked=move || on.get()
                            on:change=move |ev| {
                                let checked = event_target_checked(&ev);
                                let failure = failure.clone();
                                let mut result = Ok(());
                                demo.update(|d| {
                                    let now = d.now_ms();
                                    if checked {
                                        result = d.shop_mut().inject(Injection { failure, start_ms: now, end_ms: None });
                                    } else {
                                        d.shop_mut().remove_failure(&failure);
                                    }
                                });
                                match result {
                                    Ok(()) => refused.set(None),
                                    Err(e) => {
                                        event_target::<web_sys::HtmlInputElement>(&ev).set_checked(false);
                                        refused.set(Some(format!("Refused: {e}")));
                                    }
                                }
                            }
                        />
                        " " {label}
                    </label>
                }
                .into_any()
            })
            .collect_view()
    };

    // The chosen failure to schedule, by id; the first that applies when
    // the topology no longer has it.
    let choice = RwSignal::new(String::new());
    let chosen = move || {
        presets.with(|all| {
            let usable = |p: &&Preset| p.failure.is_ok();
            choice
                .with(|c| all.iter().filter(usable).find(|p| p.id == *c).cloned())
                .or_else(|| all.iter().find(usable).cloned())
        })
    };
    let in_min = RwSignal::new("5".to_string());
    let for_min = RwSignal::new("10".to_string());
    let form_error = RwSignal::new(None::<String>);
    let schedule = move |_| {
        let minutes = |s: RwSignal<String>| {
            s.get_untracked()
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|m| m.is_finite() && *m >= 0.0)
        };
        let (Some(after), Some(length)) = (minutes(in_min), minutes(for_min)) else {
            form_error.set(Some(
                "Start and length are minutes of virtual time, 0 or more.".into(),
            ));
            return;
        };
        let Some(Ok(failure)) = chosen().map(|p| p.failure) else {
            form_error.set(Some("No failure applies to this topology.".into()));
            return;
        };
        let mut result = Ok(());
        demo.update(|d| {
            // Saturating: minutes past the simulator's years are refused, not wrapped.
            let start_ms = d.now_ms().saturating_add((after * 60_000.0) as i64);
            let end_ms =
                (length > 0.0).then(|| start_ms.saturating_add((length * 60_000.0) as i64));
            result = d.shop_mut().inject(Injection {
                failure,
                start_ms,
                end_ms,
            });
        });
        form_error.set(result.err().map(|e| format!("Refused: {e}")));
    };
    let options = move || {
        let picked = chosen().map(|p| p.id);
        presets
            .get()
            .into_iter()
            .map(|p| {
                let selected = picked.as_deref() == Some(p.id.as_str());
                let label = match &p.failure {
                    Ok(_) => p.label,
                    Err(reason) => format!("{} ({reason})", p.label),
                };
                view! { <option value=p.id disabled=p.failure.is_err() prop:selected=selected>{label}</option> }
            })
            .collect_view()
    };
    let list = move || {
        tick.track();
        let (now, injections) = demo.with(|d| (d.now_ms(), d.shop().injections().to_vec()));
        injections
            .into_iter()
            .map(|i| {
                let (state, when) = injection_state(&i, now);
                let label = describe(&i.failure);
                let failure = i.failure.clone();
                view! {
                    <li class=format!("injection {state}") data-testid="injection" data-state=state>
                        <span class="badge">{state}</span>
                        " " {label} " · " <span class="muted">{when}</span>
                        <button
                            class="link"
                            aria-label="Remove"
                            on:click=move |_| demo.update(|d| d.shop_mut().remove_failure(&failure))
                        >
                            "×"
                        </button>
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <div class="sim-column failures" data-testid="failure-panel">
            <h2>"Failures"</h2>
            {toggles}
            {move || refused.get().map(|e| view! { <p class="error-text" role="alert" data-testid="failure-refused">{e}</p> })}
            <div class="schedule" data-testid="failure-schedule">
                <select data-testid="schedule-failure" on:change=move |ev| choice.set(event_target_value(&ev))>
                    {options}
                </select>
                <label>" in " <input class="minutes" data-testid="schedule-in" prop:value=move || in_min.get() on:input=move |ev| in_min.set(event_target_value(&ev)) /> " min"</label>
                <label>" for " <input class="minutes" data-testid="schedule-for" prop:value=move || for_min.get() on:input=move |ev| for_min.set(event_target_value(&ev)) /> " min"</label>
                <button data-testid="schedule-add" on:click=schedule>"Schedule"</button>
                {move || form_error.get().map(|e| view! { <p class="error-text" role="alert" data-testid="schedule-error">{e}</p> })}
            </div>
            <ul class="injections">{list}</ul>
        </div>
    }
}

#[component]
fn TopologyEditor() -> impl IntoView {
    let AppState { demo, .. } = expect_context::<AppState>();
    let text = RwSignal::new(demo.with_untracked(|d| d.shop().topology().to_json()));
    let status = RwSignal::new(None::<(bool, String)>);
    let apply = move |_| match Topology::from_text(&text.get_untracked()) {
        Ok(topology) => {
            let services = topology.services.len();
            let mut result = Ok(());
            demo.update(|d| result = d.shop_mut().set_topology(topology));
            status.set(Some(match result {
                Ok(()) => (true, format!("Applied: {services} services, from now on.")),
                Err(e) => (false, e.to_string()),
            }));
        }
        Err(e) => status.set(Some((false, e.to_string()))),
    };
    view! {
        <div class="sim-column topology">
            <h2>"Topology " <span class="muted">"(JSON or YAML)"</span></h2>
            <textarea
                data-testid="topology-editor"
                spellcheck="false"
                rows="14"
                prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))
            ></textarea>
            <div>
                <button data-testid="topology-apply" on:click=apply>"Apply"</button>
                <button on:click=move |_| text.set(Topology::default().to_json())>"Default shop"</button>
            </div>
            {move || status.get().map(|(ok, m)| view! {
                <p class=if ok { "muted" } else { "error-text" } data-testid="topology-status">{m}</p>
            })}
        </div>
    }
}
