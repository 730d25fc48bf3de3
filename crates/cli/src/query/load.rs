//! Loading OpenMetrics files with timestamps into one TSDB, in chunks of
//! lines parsed on a thread of their own (the module above says how).

use std::io::BufRead;
use std::path::PathBuf;

use o11y_engine::metrics::expfmt::{Family, Format, parse};
use o11y_engine::metrics::store::{AppendError, Refusals, Sample};
use o11y_engine::metrics::tsdb::{SeriesRef, Tsdb, TsdbLimits};
use o11y_engine::model::labels::{Labels, METRIC_NAME};

/// Where a load stopped: a file and, for a bad line, its line and column.
#[derive(Debug, PartialEq)]
pub(super) struct LoadError {
    pub(super) line: usize,
    pub(super) column: usize,
    pub(super) message: String,
}

impl LoadError {
    pub(super) fn at(line: usize, column: usize, message: impl Into<String>) -> LoadError {
        LoadError {
            line,
            column,
            message: message.into(),
        }
    }
}

/// What loading files put into the TSDB, and what it refused.
#[derive(Debug, Default)]
pub(super) struct LoadReport {
    /// Sample lines read.
    pub(super) samples_read: u64,
    /// Refused samples by reason (a refused series' samples count each).
    pub(super) refused: Refusals,
    /// The first refusal, to show what went wrong.
    pub(super) first_refusal: Option<String>,
}

/// A store without limits that would refuse a file's samples: the files
/// are the bound. Retention never drops anything.
pub(super) fn unbounded_tsdb() -> Tsdb {
    Tsdb::with_limits(TsdbLimits {
        max_series: usize::MAX,
        max_samples: usize::MAX,
        retention_ms: i64::MAX,
    })
}

/// Lines read per parse, about (a chunk ends at a line's end).
pub(super) const CHUNK_BYTES: usize = 8 << 20;

/// A parsed chunk: its families, and how its line numbers map to the file's.
struct Chunk {
    families: Vec<Family>,
    /// File line = chunk line + `line_shift` (the carried metadata lines
    /// come first, so this may be negative).
    line_shift: isize,
}

/// Reads OpenMetrics text in chunks of about `chunk_bytes` and sends each
/// parsed chunk. Each chunk is parsed as a document of its own: the
/// metadata lines before the current family's samples go first, so the
/// parser knows the family's type, and a `# EOF` goes last. A send fails
/// only when the loader has already stopped on an error of its own, which
/// it reports, so the reader just stops too.
fn read_chunks(
    mut reader: impl BufRead,
    chunk_bytes: usize,
    send: &std::sync::mpsc::SyncSender<Result<Chunk, LoadError>>,
) {
    let mut line_no = 0usize;
    let mut metadata: Vec<String> = Vec::new();
    let mut after_metadata = false;
    let mut eof_line: Option<usize> = None;
    let mut done = false;
    while !done {
        let mut text = String::with_capacity(chunk_bytes + 4096);
        for line in &metadata {
            text.push_str(line);
        }
        let carried = metadata.len();
        let carried_bytes = text.len();
        let first_line = line_no + 1;
        let mut lines = 0usize;
        while text.len() - carried_bytes < chunk_bytes {
            let start = text.len();
            match reader.read_line(&mut text) {
                Ok(0) => {
                    done = true;
                    break;
                }
                Ok(_) => {}
                Err(e) => {
                    stop_with(send, LoadError::at(line_no + 1, 1, e.to_string()));
                    return;
                }
            }
            line_no += 1;
            lines += 1;
            if !text.ends_with('\n') {
                text.push('\n');
            }
            let line = text[start..].trim_end_matches('\n');
            let line = line.strip_suffix('\r').unwrap_or(line);
            if let Some(eof) = eof_line {
                let message = format!("nothing may follow # EOF (line {eof})");
                stop_with(send, LoadError::at(line_no, 1, message));
                return;
            }
            if line == "# EOF" {
                eof_line = Some(line_no);
                text.truncate(start);
                lines -= 1;
                continue;
            }
            if line.starts_with('#') {
                if !after_metadata {
                    metadata.clear();
                    after_metadata = true;
                }
                metadata.push(text[start..].to_string());
            } else {
                after_metadata = false;
            }
        }
        if done && eof_line.is_none() {
            let message = "OpenMetrics text must end with a line \"# EOF\"";
            stop_with(send, LoadError::at(line_no.max(1), 1, message));
            return;
        }
        if lines == 0 {
            continue;
        }
        // `# EOF` was cut out above (it must be the last line), so the
        // chunk's line numbers run on from the carried lines.
        text.push_str("# EOF\n");
        let line_shift = first_line as isize - 1 - carried as isize;
        let parsed = parse(&text, Format::OpenMetrics)
            .map(|families| Chunk {
                families,
                line_shift,
            })
            .map_err(|errors| {
                let e = &errors[0];
                LoadError::at(
                    (e.line as isize + line_shift).max(1) as usize,
                    e.column,
                    e.message.clone(),
                )
            });
        let failed = parsed.is_err();
        if send.send(parsed).is_err() || failed {
            return;
        }
    }
}

/// Sends the error that stops the read. Only a loader that has stopped
/// already (with an error of its own, which it returns) is not listening.
fn stop_with(send: &std::sync::mpsc::SyncSender<Result<Chunk, LoadError>>, error: LoadError) {
    if send.send(Err(error)).is_err() {
        // The loader's own error stands for the load.
    }
}

/// A series as the file names it (metric name, labels) and its handle, or
/// why the TSDB refused it.
type CurrentSeries = (
    String,
    Vec<(String, String)>,
    Result<SeriesRef, AppendError>,
);

/// Appends the samples of `reader`'s OpenMetrics text to `db`, parsing on
/// another thread. A refused sample is counted in `report`; a bad line or
/// a sample without a timestamp stops the load.
pub(super) fn load_into(
    db: &mut Tsdb,
    reader: impl BufRead + Send,
    chunk_bytes: usize,
    report: &mut LoadReport,
) -> Result<(), LoadError> {
    let (send, receive) = std::sync::mpsc::sync_channel(2);
    std::thread::scope(|scope| {
        scope.spawn(move || read_chunks(reader, chunk_bytes, &send));
        // The series of the previous sample: files list a series' samples together.
        let mut current: Option<CurrentSeries> = None;
        for chunk in receive {
            let chunk = chunk?;
            for family in chunk.families {
                for sample in family.samples {
                    let line = (sample.line as isize + chunk.line_shift).max(1) as usize;
                    let Some(ts_ms) = sample.ts_ms else {
                        return Err(LoadError::at(
                            line,
                            1,
                            format!("expected a timestamp for series {}", sample.name),
                        ));
                    };
                    report.samples_read += 1;
                    let same = current
                        .as_ref()
                        .is_some_and(|(n, l, _)| *n == sample.name && *l == sample.labels);
                    if !same {
                        let labels = Labels::new(
                            std::iter::once((METRIC_NAME.to_string(), sample.name.clone()))
                                .chain(sample.labels.iter().cloned()),
                        );
                        let series_ref = db.series_ref(&labels);
                        current = Some((sample.name, sample.labels, series_ref));
                    }
                    let Some((_, _, series_ref)) = &current else {
                        continue;
                    };
                    let stored = match series_ref {
                        Ok(r) => db.append_ref(
                            *r,
                            Sample {
                                ts_ms,
                                value: sample.value,
                            },
                        ),
                        Err(e) => Err(e.clone()),
                    };
                    if let Err(e) = stored {
                        report.refused.count(&e);
                        if report.first_refusal.is_none() {
                            report.first_refusal = Some(format!("line {line}: {e}"));
                        }
                    }
                }
            }
        }
        Ok(())
    })
}

/// Loads every file into one TSDB, in order; on failure, the message to print.
pub(super) fn load_files(files: &[PathBuf], report: &mut LoadReport) -> Result<Tsdb, String> {
    let mut db = unbounded_tsdb();
    for path in files {
        let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let reader = std::io::BufReader::with_capacity(1 << 20, file);
        load_into(&mut db, reader, CHUNK_BYTES, report)
            .map_err(|e| format!("{}:{}:{}: {}", path.display(), e.line, e.column, e.message))?;
    }
    Ok(db)
}
