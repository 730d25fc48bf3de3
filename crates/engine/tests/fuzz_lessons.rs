//! Fuzzing of Learn: lesson files and demo scripts (front matter,
//! exercise and step blocks), the
//! Markdown of their prose (and of dashboards' text panels), and answers
//! checked against a scenario, mutated byte by byte and token by token
//! from the built-in lessons and their references.
//!
//! `cargo test` runs a fixed number of inputs from a fixed seed (`common::Fuzz`).
//! A long run: `O11Y_FUZZ_SECONDS=600 cargo test --profile fuzz -p o11y-engine --test fuzz_lessons -- --nocapture`.

use o11y_engine::learn::{self, Check, Course, markdown};
use rand::Rng;

mod common;

const PIECES: [&str; 20] = [
    "```",
    "```exercise\n",
    "---\n",
    "\n",
    "  ",
    "- ",
    "* ",
    "1. ",
    "> ",
    "#",
    "**",
    "_",
    "`",
    "[a](",
    ")",
    "]",
    "\\",
    ": ",
    "{",
    "}",
];

#[test]
fn lesson_files_and_markdown_never_panic() {
    let seeds: Vec<&str> = learn::BUILTIN
        .iter()
        .chain(learn::script::BUILTIN_DEMOS)
        .map(|(_, t)| *t)
        .collect();
    let fuzz = common::Fuzz {
        target: "fuzz_lessons",
        seed: 11,
        inputs: 1_500,
        accepted: "lessons read",
    };
    fuzz.run(
        |rng| {
            let seed = seeds[rng.random_range(0..seeds.len())];
            common::mutate(rng, seed, &PIECES)
        },
        |text| {
            if let Err(e) = learn::script::parse_script(text) {
                assert!(e.line >= 1 && e.line <= text.lines().count() + 1, "{e}");
            }
            let blocks = markdown::parse(text);
            assert!(blocks.len() <= text.lines().count() + 1);
            match learn::parse_lesson(text) {
                Ok(lesson) => {
                    for step in &lesson.steps {
                        markdown::parse(&step.prose);
                    }
                    true
                }
                Err(e) => {
                    assert!(e.line >= 1 && e.line <= text.lines().count() + 1, "{e}");
                    false
                }
            }
        },
    );
}

#[test]
fn answers_never_panic_the_checker() {
    let course = Course::builtin();
    let lesson = course.lesson("promql-selectors").expect("the first lesson");
    let demo = lesson.scenario.build().expect("its scenario builds");
    let answers: Vec<(String, String)> = course
        .lessons
        .iter()
        .flat_map(|l| l.exercises())
        .filter(|e| matches!(e.check, Check::Promql(_)))
        .flat_map(|e| {
            std::iter::once(e.check.reference().to_string())
                .chain(e.traps.iter().map(|t| t.answer.clone()))
                .map(|a| ("payment-requests".to_string(), a))
                .collect::<Vec<_>>()
        })
        .collect();
    let fuzz = common::Fuzz {
        target: "fuzz_lessons",
        seed: 12,
        inputs: 300,
        accepted: "answers passed",
    };
    fuzz.run(
        |rng| {
            let (ex, a) = &answers[rng.random_range(0..answers.len())];
            (
                ex.clone(),
                common::mutate(
                    rng,
                    a,
                    &[
                        "(",
                        ")",
                        "[5m]",
                        "{",
                        "}",
                        "offset 5m",
                        " * 60",
                        "\"",
                        "by (le)",
                    ],
                ),
            )
        },
        |(ex, answer)| {
            let f = learn::check_answer(lesson, &demo, ex, answer).expect("the exercise exists");
            assert!(
                f.passed || !f.messages.is_empty(),
                "a failed check says why"
            );
            f.passed
        },
    );
}
