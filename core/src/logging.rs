//! A bridge from the SDK's `tracing` events to a host's logging (Python `logging`, a Node
//! callback, a C callback). Rust programs use their own `tracing` subscriber instead.
//!
//! [`set_log_sink`] installs, once per process, a global `tracing` subscriber whose events
//! at or above the chosen level are formatted (`message key=value …`, with the fields of
//! the request span: operation, method, path, status, attempt, request id) and handed to
//! the sink. Nothing is formatted below the level, and with no sink nothing is installed.
//! The SDK never puts a secret in an event (the secret key, session token and API key
//! are not fields; `core/tests/logs.rs` and each binding's log test scan for them).

use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

use crate::error::{Error, ErrorKind, Result};

/// How much the bridge forwards (each level includes the ones above it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// Nothing.
    Off = 0,
    /// Failures the SDK could not recover from.
    Error = 1,
    /// Recovered problems (a clock-skew correction).
    Warn = 2,
    /// Retries.
    Info = 3,
    /// Every response and failure, with its request id.
    Debug = 4,
    /// Everything (signing details of dependencies).
    Trace = 5,
}

impl LogLevel {
    fn of(level: &tracing::Level) -> LogLevel {
        match *level {
            tracing::Level::ERROR => LogLevel::Error,
            tracing::Level::WARN => LogLevel::Warn,
            tracing::Level::INFO => LogLevel::Info,
            tracing::Level::DEBUG => LogLevel::Debug,
            tracing::Level::TRACE => LogLevel::Trace,
        }
    }
    fn from_u8(v: u8) -> LogLevel {
        match v {
            1 => LogLevel::Error,
            2 => LogLevel::Warn,
            3 => LogLevel::Info,
            4 => LogLevel::Debug,
            5 => LogLevel::Trace,
            _ => LogLevel::Off,
        }
    }
    /// The level named `name` (`off`, `error`, `warn`, `info`, `debug`, `trace`; any case).
    pub fn parse(name: &str) -> Result<LogLevel> {
        Ok(match name.to_ascii_lowercase().as_str() {
            "off" => LogLevel::Off,
            "error" => LogLevel::Error,
            "warn" | "warning" => LogLevel::Warn,
            "info" => LogLevel::Info,
            "debug" => LogLevel::Debug,
            "trace" => LogLevel::Trace,
            _ => {
                return Err(Error::invalid_input(
                    "level",
                    "must be off, error, warn, info, debug or trace",
                ));
            }
        })
    }
}

/// One forwarded event.
#[derive(Debug, Clone, Copy)]
pub struct LogRecord<'a> {
    /// Its level.
    pub level: LogLevel,
    /// The module that emitted it (`necid::transport`, …).
    pub target: &'a str,
    /// The message with its fields and the request span's fields.
    pub message: &'a str,
}

/// What receives the events. Called on the thread that emitted the event (an SDK
/// worker thread, usually): keep it quick and never block on an SDK call.
pub type LogSink = Arc<dyn Fn(&LogRecord<'_>) + Send + Sync>;

static LEVEL: AtomicU8 = AtomicU8::new(0);
static SINK: RwLock<Option<LogSink>> = RwLock::new(None);
static INSTALLED: OnceLock<std::result::Result<(), String>> = OnceLock::new();

/// Forward the SDK's events at `level` and above to `sink` (replacing a previous sink);
/// `None` (or [`LogLevel::Off`]) stops forwarding. Fails with `InvalidInput` when the
/// process already has another global `tracing` subscriber (a Rust program's own).
pub fn set_log_sink(sink: Option<LogSink>, level: LogLevel) -> Result<()> {
    if sink.is_some() && level != LogLevel::Off {
        install()?;
    }
    let level = if sink.is_some() { level } else { LogLevel::Off };
    *SINK.write().unwrap_or_else(|p| p.into_inner()) = sink;
    LEVEL.store(level as u8, Ordering::Relaxed);
    tracing::callsite::rebuild_interest_cache();
    Ok(())
}

/// The level currently forwarded.
pub fn log_level() -> LogLevel {
    LogLevel::from_u8(LEVEL.load(Ordering::Relaxed))
}

fn install() -> Result<()> {
    use tracing_subscriber::layer::SubscriberExt as _;
    let installed = INSTALLED.get_or_init(|| {
        let layer = tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .without_time()
            .with_level(false)
            .with_target(false)
            .with_writer(Bridge);
        let filter =
            tracing_subscriber::filter::filter_fn(|meta| LogLevel::of(meta.level()) <= log_level());
        let subscriber = tracing_subscriber::registry()
            .with(tracing_subscriber::Layer::with_filter(layer, filter));
        tracing::subscriber::set_global_default(subscriber).map_err(|e| e.to_string())
    });
    installed.clone().map_err(|e| {
        Error::new(
            ErrorKind::InvalidInput,
            format!("cannot forward the SDK's logs: another tracing subscriber is installed ({e})"),
        )
        .with_field("logging")
    })
}

/// The fmt layer's writer: one buffer per event, handed to the sink when dropped.
struct Bridge;

struct Line {
    level: LogLevel,
    target: String,
    buf: Vec<u8>,
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Bridge {
    type Writer = Line;
    fn make_writer(&'a self) -> Line {
        Line {
            level: LogLevel::Info,
            target: String::new(),
            buf: Vec::new(),
        }
    }
    fn make_writer_for(&'a self, meta: &tracing::Metadata<'_>) -> Line {
        Line {
            level: LogLevel::of(meta.level()),
            target: meta.target().to_owned(),
            buf: Vec::with_capacity(160),
        }
    }
}

impl Write for Line {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        let text = String::from_utf8_lossy(&self.buf);
        let message = text.trim_end();
        let sink = SINK.read().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(sink) = sink {
            // A sink that panics must not take the SDK's thread with it.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                sink(&LogRecord {
                    level: self.level,
                    target: &self.target,
                    message,
                })
            }));
        }
    }
}
