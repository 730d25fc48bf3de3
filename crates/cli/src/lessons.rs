//! `o11y lessons`: the trainer's side of Learn. `check` reads lesson files,
//! builds each scenario and runs every exercise's reference (which must
//! pass) and every trap (which must fail with its own hint); `answer`
//! prints the feedback the page would give one answer.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use o11y_engine::learn::{self, Course, Lesson};

/// Lesson files: the `*.md` files of each directory, and each file given.
fn lesson_files(paths: &[PathBuf]) -> Result<Vec<(String, String)>, String> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| format!("{}: {e}", path.display()))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "md"))
                .collect();
            found.sort();
            for f in found {
                files.push(read(&f)?);
            }
        } else {
            files.push(read(path)?);
        }
    }
    Ok(files)
}

fn read(path: &Path) -> Result<(String, String), String> {
    std::fs::read_to_string(path)
        .map(|text| (path.display().to_string(), text))
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// The files given, or the built-in ones (named as in `dir`) when none.
fn files_or_builtin(
    paths: &[PathBuf],
    builtin: &[(&str, &str)],
    dir: &str,
) -> Result<Vec<(String, String)>, String> {
    if paths.is_empty() {
        return Ok(builtin
            .iter()
            .map(|(n, t)| (format!("{dir}/{n}"), t.to_string()))
            .collect());
    }
    lesson_files(paths)
}

/// Each lesson's scenario built (how long it took, ms) and its exercises
/// checked, or why its scenario does not build; on as many threads as
/// there are cores, in the lessons' order.
fn check_all(lessons: &[Lesson]) -> Vec<Result<(f64, Vec<learn::ExerciseReport>), String>> {
    let one = |lesson: &Lesson| {
        let t0 = Instant::now();
        let demo = lesson.scenario.build().map_err(|e| e.to_string())?;
        let built_ms = t0.elapsed().as_secs_f64() * 1e3;
        let clock = {
            let t = Instant::now();
            move || t.elapsed().as_secs_f64() * 1e3
        };
        Ok((built_ms, learn::self_check(lesson, &demo, &clock)))
    };
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(vec![None; lessons.len()]);
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(lesson) = lessons.get(i) else { break };
                    let checked = one(lesson);
                    let mut r = results
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    r[i] = Some(checked);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err("not checked: a checking thread failed".to_string())))
        .collect()
}

/// `o11y lessons check [PATH…]` (the built-in lessons when none).
pub fn check(paths: &[PathBuf]) -> ExitCode {
    let files = match files_or_builtin(paths, learn::BUILTIN, "lessons") {
        Ok(f) => f,
        Err(e) => {
            eprintln!("o11y lessons check: {e}");
            return ExitCode::from(2);
        }
    };
    let course = Course::read(files.iter().map(|(n, t)| (n.as_str(), t.as_str())));
    let mut failed = false;
    for (name, problem) in &course.problems {
        println!("{name}:{problem}");
        failed = true;
    }
    let (mut exercises, mut traps) = (0, 0);
    let mut slowest: (f64, String) = (0.0, String::new());
    // Lessons are checked on every core, then printed in course order.
    for (lesson, checked) in course.lessons.iter().zip(check_all(&course.lessons)) {
        let (built_ms, reports) = match checked {
            Ok(c) => c,
            Err(e) => {
                println!("{}: scenario: {e}", lesson.id);
                failed = true;
                continue;
            }
        };
        println!(
            "\n{} ({}, level {}): {} — scenario built in {built_ms:.0} ms",
            lesson.id,
            lesson.pillar.name(),
            lesson.level,
            lesson.title
        );
        println!(
            "  {:<28} {:<8} {:<10} {:<12} {:>8}",
            "exercise", "kind", "reference", "traps", "ms"
        );
        for r in &reports {
            let bad_traps = r.traps.iter().filter(|t| t.is_some()).count();
            println!(
                "  {:<28} {:<8} {:<10} {:<12} {:>8.1}",
                r.exercise,
                r.kind,
                if r.reference.is_none() {
                    "passes"
                } else {
                    "FAILS"
                },
                format!("{}/{} ok", r.traps.len() - bad_traps, r.traps.len()),
                r.millis
            );
            if let Some(why) = &r.reference {
                println!("    reference: {why}");
            }
            for why in r.traps.iter().flatten() {
                println!("    {why}");
            }
            failed |= !r.ok();
            exercises += 1;
            traps += r.traps.len();
            if r.millis > slowest.0 {
                slowest = (r.millis, format!("{}/{}", lesson.id, r.exercise));
            }
        }
    }
    println!(
        "\n  {:<10} {:>7} {:>9} {:>6}",
        "pillar", "lessons", "exercises", "traps"
    );
    for pillar in learn::Pillar::ALL {
        let lessons: Vec<&Lesson> = course
            .lessons
            .iter()
            .filter(|l| l.pillar == pillar)
            .collect();
        let exercises = lessons.iter().flat_map(|l| l.exercises()).count();
        let traps: usize = lessons
            .iter()
            .flat_map(|l| l.exercises())
            .map(|e| e.traps.len())
            .sum();
        println!(
            "  {:<10} {:>7} {exercises:>9} {traps:>6}",
            pillar.name(),
            lessons.len()
        );
    }
    println!(
        "\n{} lessons, {exercises} exercises, {traps} traps; slowest exercise check (reference and traps): {:.1} ms ({})",
        course.lessons.len(),
        slowest.0,
        slowest.1
    );
    if failed {
        println!("FAILED");
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// `o11y lessons answer FILE EXERCISE ANSWER`: the feedback for one answer.
pub fn answer(file: &Path, exercise: &str, answer: &str) -> ExitCode {
    let text = match read(file) {
        Ok((_, text)) => text,
        Err(e) => {
            eprintln!("o11y lessons answer: {e}");
            return ExitCode::from(2);
        }
    };
    let lesson: Lesson = match learn::parse_lesson(&text) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{}:{e}", file.display());
            return ExitCode::from(2);
        }
    };
    let Some(ex) = lesson.exercise(exercise) else {
        let ids: Vec<&str> = lesson.exercises().map(|e| e.id.as_str()).collect();
        eprintln!(
            "no exercise {exercise:?} in {}; it has {}",
            lesson.id,
            ids.join(", ")
        );
        return ExitCode::from(2);
    };
    let demo = match lesson.scenario.build() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{}: scenario: {e}", file.display());
            return ExitCode::from(2);
        }
    };
    let t0 = Instant::now();
    let checker = learn::Checker::new(&demo, lesson.scenario.start_ms);
    let feedback = checker.check(ex, answer);
    let ms = t0.elapsed().as_secs_f64() * 1e3;
    // For the trainer: what passes (the page shows it on request).
    match checker.solution(ex) {
        Ok(s) => eprintln!("solution: {}", s.trim_end()),
        Err(e) => eprintln!("the reference fails: {e}"),
    }
    if feedback.passed {
        println!("passed");
    } else {
        if let Some(e) = feedback
            .error
            .as_ref()
            .filter(|e| e.span.end > e.span.start)
        {
            let before = answer.get(..e.span.start).unwrap_or(answer).chars().count();
            let width = answer
                .get(e.span.clone())
                .map_or(1, |s| s.chars().count().max(1));
            println!("{answer}\n{}{}", " ".repeat(before), "^".repeat(width));
        }
        for m in &feedback.messages {
            println!("- {m}");
        }
    }
    eprintln!("checked in {ms:.1} ms");
    if feedback.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// `o11y demos check [PATH…]` (the built-in demos when none): every script
/// reads, its scenario builds, and its timeline plays to the end with every
/// step's query running (PromQL on Explore, LogQL on the Logs page).
pub fn check_demos(paths: &[PathBuf]) -> ExitCode {
    let files = match files_or_builtin(paths, learn::script::BUILTIN_DEMOS, "demos") {
        Ok(f) => f,
        Err(e) => {
            eprintln!("o11y demos check: {e}");
            return ExitCode::from(2);
        }
    };
    let mut failed = false;
    for (name, text) in &files {
        let script = match learn::script::parse_script(text) {
            Ok(s) => s,
            Err(e) => {
                println!("{name}:{e}");
                failed = true;
                continue;
            }
        };
        let t0 = Instant::now();
        let mut demo = match script.scenario.build() {
            Ok(d) => d,
            Err(e) => {
                println!("{name}: scenario: {e}");
                failed = true;
                continue;
            }
        };
        println!(
            "\n{} ({}): {} steps, built in {:.0} ms",
            script.id,
            script.title,
            script.steps.len(),
            t0.elapsed().as_secs_f64() * 1e3
        );
        println!(
            "  {:<6} {:<11} {:<18} {:<28} firing",
            "at", "page", "query", "failing"
        );
        for step in &script.steps {
            let to = script.scenario.start_ms + step.at;
            if to > demo.now_ms()
                && let Err(e) = demo.step(to - demo.now_ms())
            {
                println!("  the simulator stopped: {e}");
                failed = true;
                break;
            }
            let query = match (&step.query, step.page.as_deref()) {
                (None, _) => "—".to_string(),
                (Some(q), Some("logs")) => {
                    let end_ns = demo.now_ms() * 1_000_000;
                    let q2 = o11y_engine::logs::metric::LogQuery {
                        start_ns: end_ns - 3_600_000_000_000,
                        end_ns,
                        step_ms: 15_000,
                        limit: 100,
                    };
                    match demo.logql(q, &q2) {
                        Ok(_) => "runs".to_string(),
                        Err(e) => {
                            failed = true;
                            format!("FAILS: {e}")
                        }
                    }
                }
                (Some(q), _) => match o11y_engine::promql::parse(q)
                    .map_err(|e| e.to_string())
                    .and_then(|expr| {
                        demo.instant_query(&expr, demo.now_ms())
                            .map_err(|e| e.to_string())
                    }) {
                    Ok(_) => "runs".to_string(),
                    Err(e) => {
                        failed = true;
                        format!("FAILS: {e}")
                    }
                },
            };
            let failing: Vec<String> = demo
                .shop()
                .active_failures(demo.now_ms())
                .iter()
                .map(o11y_engine::sim::failure::presets::describe)
                .collect();
            let firing: Vec<String> = demo
                .rules()
                .alerts()
                .filter(|(_, _, a)| {
                    a.state == o11y_engine::alerting::rules::group::AlertState::Firing
                })
                .map(|(_, _, a)| a.labels.to_string())
                .collect();
            println!(
                "  {:<6} {:<11} {:<18} {:<28} {}",
                o11y_engine::model::duration::format_duration(step.at),
                step.page.as_deref().unwrap_or("—"),
                query,
                failing.join("; "),
                firing.join("; ")
            );
        }
    }
    println!("\n{} demos", files.len());
    if failed {
        println!("FAILED");
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
