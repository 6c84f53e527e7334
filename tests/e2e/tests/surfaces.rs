//! Every binding declares what the core defines, no more and no less.
//!
//! The core holds each list once (`necid::CONFIG_KEYS`, …); the bindings' declarations
//! (the generated `node/index.d.ts` and `include/necid.h`, the Python stub, the UniFFI
//! builder) are read here as text and compared with it, so a setting added to the core
//! and forgotten in a binding (or spelt differently) fails this test. The Python stub's
//! operations are rendered here from the operation table (`NECID_BLESS=1` writes them).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::io::Write as _;
use std::path::{Path, PathBuf};

use necid::{CONFIG_KEYS, ConfigType};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(rel: &str) -> String {
    let path = repo().join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// `tenant_endpoint` → `tenantEndpoint` (the core's own spelling rule).
fn camel(name: &str) -> String {
    necid::config::camel_case(name)
}

/// The text between `start` and the first `end` after it.
fn section<'a>(text: &'a str, start: &str, end: &str, what: &str) -> &'a str {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("{what}: {start:?} not found"))
        + start.len();
    let len = text[from..]
        .find(end)
        .unwrap_or_else(|| panic!("{what}: {end:?} not found after {start:?}"));
    &text[from..from + len]
}

fn is_duration(k: &necid::ConfigKey) -> bool {
    k.ty == ConfigType::Duration
}

/// Settings the core has and some bindings do not spell yet (the TLS settings, being
/// added binding by binding). Each is reported loudly; remove it here once every binding
/// has it, so the test guards it from then on.
const PENDING: &[&str] = &[];

/// The settings every binding must declare (all but [`PENDING`]).
fn required_keys(binding: &str, declared: impl Fn(&str) -> bool) -> Vec<&'static necid::ConfigKey> {
    for name in PENDING {
        assert!(
            necid::config::config_key(name).is_some(),
            "PENDING names {name}, which is not a setting"
        );
        if !declared(name) {
            // Straight to stderr (not captured by the test harness): this must be seen.
            let _ = writeln!(
                std::io::stderr(),
                "NOTE surfaces: {binding} does not take the setting `{name}` yet (pending)"
            );
        }
    }
    CONFIG_KEYS
        .iter()
        .filter(|k| !PENDING.contains(&k.name))
        .collect()
}

#[test]
fn node_client_options_are_the_settings_table() {
    let dts = read("node/index.d.ts");
    let body = section(
        &dts,
        "export interface ClientOptions {",
        "\n}",
        "node/index.d.ts",
    );
    let declared: Vec<String> = body
        .lines()
        .map(str::trim)
        .filter_map(|l| l.split_once("?:").map(|(name, _)| name.trim().to_owned()))
        .collect();
    let spell = |k: &necid::ConfigKey| camel(k.name) + if is_duration(k) { "Ms" } else { "" };
    let keys = required_keys("Node", |name| {
        declared.contains(&spell(necid::config::config_key(name).unwrap()))
    });
    let mut expected: Vec<String> = keys.iter().map(|k| spell(k)).collect();
    let pending: Vec<String> = PENDING
        .iter()
        .map(|n| spell(necid::config::config_key(n).unwrap()))
        .collect();
    let mut declared_sorted: Vec<String> = declared
        .iter()
        // The credentials provider is a function, not a setting of the table.
        .filter(|d| !pending.contains(d) && *d != "credentialsProvider")
        .cloned()
        .collect();
    declared_sorted.sort();
    expected.sort();
    assert_eq!(
        declared_sorted, expected,
        "Node ClientOptions vs necid::CONFIG_KEYS"
    );
}

#[test]
fn c_config_struct_is_the_settings_table_in_order() {
    let h = read("include/necid.h");
    let body = section(
        &h,
        "typedef struct necid_config_t {",
        "} necid_config_t;",
        "necid.h",
    );
    let fields: Vec<String> = body
        .lines()
        .map(str::trim)
        .filter(|l| l.ends_with(';') && !l.starts_with('*') && !l.starts_with("/*"))
        // The layout's size (ABI versioning) and the credentials provider: not settings.
        .filter(|l| {
            ![
                "size_t struct_size;",
                "necid_credentials_provider_t credentials_provider;",
                "void *credentials_provider_user_data;",
            ]
            .contains(l)
        })
        .map(|l| {
            l.trim_end_matches(';')
                .rsplit([' ', '*'])
                .next()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    // Table order: the struct only grows by appending (ABI), and so does the table.
    let spell = |k: &necid::ConfigKey| k.name.to_owned() + if is_duration(k) { "_ms" } else { "" };
    let keys = required_keys("C", |name| fields.iter().any(|f| f.starts_with(name)));
    // PEM bytes are a pointer and a length.
    let expected: Vec<String> = keys
        .iter()
        .flat_map(|k| match k.ty {
            ConfigType::Pem => vec![k.name.to_owned(), format!("{}_len", k.name)],
            _ => vec![spell(k)],
        })
        .collect();
    let fields: Vec<String> = fields
        .into_iter()
        .filter(|f| !PENDING.iter().any(|p| f.starts_with(p)))
        .collect();
    assert_eq!(fields, expected, "necid_config_t vs necid::CONFIG_KEYS");
    for k in keys {
        let ty = match k.ty {
            ConfigType::Text | ConfigType::Secret => "const char *",
            ConfigType::Pem => "const uint8_t *",
            ConfigType::Duration | ConfigType::Count => "uint32_t ",
        };
        let field = k.name.to_owned() + if is_duration(k) { "_ms" } else { "" };
        assert!(
            body.contains(&format!("{ty}{field};")),
            "necid_config_t.{field} should be `{ty}`"
        );
    }
}

#[test]
fn python_keywords_are_the_settings_table() {
    // One TypedDict of settings, unpacked into every constructor of both classes.
    let pyi = read("python/necid/_necid.pyi");
    let settings = section(
        &pyi,
        "class _Settings(TypedDict, total=False):",
        "\nclass ",
        "the stub's _Settings",
    );
    let keys = required_keys("Python's stub", |name| {
        settings.contains(&format!("\n    {name}: "))
    });
    let mut expected: Vec<&str> = keys.iter().map(|k| k.name).collect();
    expected.sort_unstable();
    let mut names: Vec<&str> = settings
        .lines()
        .filter(|l| l.starts_with("    ") && !l.trim_start().starts_with('"'))
        .filter_map(|l| l.trim().split_once(':').map(|(n, _)| n.trim()))
        .filter(|n| !PENDING.contains(n))
        .collect();
    names.sort_unstable();
    assert_eq!(names, expected, "_Settings keys vs necid::CONFIG_KEYS");
    for k in &keys {
        // Text may be refined (a Literal of the allowed values, a path type).
        let ty = match k.ty {
            ConfigType::Text | ConfigType::Secret => "Optional[",
            ConfigType::Duration => "Optional[float]\n",
            ConfigType::Count => "Optional[int]\n",
            ConfigType::Pem => "Optional[Union[bytes, str]]\n",
        };
        assert!(
            settings.contains(&format!("\n    {}: {ty}", k.name)),
            "_Settings: {} should be {ty}",
            k.name
        );
    }
    for class in ["class Client:", "class AsyncClient:"] {
        let start = pyi
            .find(class)
            .unwrap_or_else(|| panic!("{class} not in the stub"));
        let rest = &pyi[start + class.len()..];
        let class_text = rest.split("\nclass ").next().unwrap_or(rest);
        // _Options is _Settings plus the credentials provider (not a setting).
        assert!(pyi.contains("class _Options(_Settings, total=False):"));
        for def in [
            "def __init__(self, **kwargs: Unpack[_Options]) -> None",
            "def from_env(cls, **overrides: Unpack[_Options]) -> Self",
            "def from_profile(cls, name: Optional[str] = None, **overrides: Unpack[_Options])",
        ] {
            assert!(
                class_text.contains(def),
                "{class} should have `{def}` (the settings table as keywords)"
            );
        }
    }
}

#[test]
fn uniffi_builder_has_a_setter_per_setting() {
    let src = read("bindings/uniffi/src/config.rs");
    let builder = section(
        &src,
        "#[uniffi::export]\nimpl ConfigBuilder {",
        "\n}\n",
        "uniffi config.rs",
    );
    let keys = required_keys("UniFFI", |name| {
        builder.contains(&format!("pub fn {name}("))
    });
    for k in keys {
        // Text may be a typed enum (tls_roots: TlsRoots); units must be exact.
        let sig = match k.ty {
            ConfigType::Text | ConfigType::Secret => format!("pub fn {}(&self, ", k.name),
            ConfigType::Duration => {
                format!("pub fn {}(&self, value: Duration) -> Arc<Self>", k.name)
            }
            ConfigType::Count => format!("pub fn {}(&self, value: u32) -> Arc<Self>", k.name),
            ConfigType::Pem => format!("pub fn {}(&self, pem: Vec<u8>) -> Arc<Self>", k.name),
        };
        assert!(
            builder.contains(&sig),
            "UniFFI ConfigBuilder lacks `{sig}` (setting {})",
            k.name
        );
    }
}

const UNIFFI_SETTERS_BEGIN: &str = "    // # BEGIN GENERATED: a setter per setting (tests/e2e/tests/surfaces.rs renders them from\n    // the core's settings table, docs included; NECID_BLESS=1 cargo test -p necid-e2e\n    // --test surfaces rewrites them).\n";

/// The generated setters of the UniFFI `ConfigBuilder` (`bindings/uniffi/src/config.rs`):
/// one per setting of `CONFIG_KEYS`, with its doc, forwarding to the core builder's method
/// of the same name. The two enum settings take the core's enums, the three file settings
/// a path (the core's `*_file` methods), durations `Duration`, counts `u32`, PEM bytes.
fn uniffi_setters() -> String {
    let mut out = String::from(UNIFFI_SETTERS_BEGIN);
    for k in CONFIG_KEYS {
        let (param, ty, method) = match (k.name, k.ty) {
            ("tls_roots", _) => ("value", "TlsRoots", k.name.to_owned()),
            ("rename_tag_form", _) => ("value", "RenameTagForm", k.name.to_owned()),
            ("ca_bundle" | "client_cert" | "client_key", _) => {
                ("path", "String", format!("{}_file", k.name))
            }
            ("proxy", _) => ("url", "String", k.name.to_owned()),
            (_, ConfigType::Text | ConfigType::Secret) => ("value", "String", k.name.to_owned()),
            (_, ConfigType::Duration) => ("value", "Duration", k.name.to_owned()),
            (_, ConfigType::Count) => ("value", "u32", k.name.to_owned()),
            (_, ConfigType::Pem) => ("pem", "Vec<u8>", k.name.to_owned()),
        };
        for line in wrap(k.doc, 92, "    /// ", "    /// ") {
            out.push_str(&line);
            out.push('\n');
        }
        out.push_str(&format!(
            "    pub fn {}(&self, {param}: {ty}) -> Arc<Self> {{\n        \
             self.with(|b| b.{method}({param}))\n    }}\n",
            k.name
        ));
    }
    out.push_str("    // # END GENERATED\n");
    out
}

#[test]
fn uniffi_setters_are_the_settings_table() {
    check_generated(
        "bindings/uniffi/src/config.rs",
        &[(
            "impl ConfigBuilder {",
            UNIFFI_SETTERS_BEGIN,
            uniffi_setters(),
        )],
    );
}

// ---------------------------------------------------------------------------------------
// Error kinds: every binding has one class / constant / case per `ErrorKind::ALL`.

use necid::ErrorKind;

/// `NoFace` → `NO_FACE`.
fn screaming(kind: &str) -> String {
    let mut out = String::new();
    for (i, c) in kind.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// The class name every language with exception classes uses for a kind (Python, Node).
fn class_of(kind: ErrorKind) -> String {
    match kind {
        // `TimeoutError` is a Python/JS builtin-like name; the service's Timeout is
        // spelt ServiceTimeoutError everywhere.
        ErrorKind::Timeout => "ServiceTimeoutError".to_owned(),
        k => format!("{}Error", k.as_str()),
    }
}

#[test]
fn python_has_a_class_per_error_kind() {
    let exceptions = read("python/necid/exceptions.py");
    let init = read("python/necid/__init__.py");
    let err_rs = read("python/src/err.rs");
    let all = section(&exceptions, "__all__ = [", "]", "exceptions.py");
    for kind in ErrorKind::ALL {
        let class = class_of(kind);
        let start = exceptions
            .find(&format!("class {class}("))
            .unwrap_or_else(|| panic!("python lacks class {class}"));
        let rest = &exceptions[start + 6..];
        let decl = &rest[..rest.find("\nclass ").unwrap_or(rest.len())];
        assert!(
            decl.contains(&format!("kind = \"{}\"", kind.as_str())),
            "python {class} should have kind = {:?}",
            kind.as_str()
        );
        assert!(
            all.contains(&format!("\"{class}\"")),
            "exceptions.__all__ lacks {class}"
        );
    }
    // `necid` imports and exports every class of `exceptions.__all__`.
    assert!(
        init.contains("from .exceptions import *")
            && init.contains("__all__ += exceptions.__all__"),
        "necid/__init__.py should import and export every exception class"
    );
    // The extension raises the class whose `kind` is the error's.
    assert!(
        exceptions.contains("_BY_KIND: Dict[str, Type[NecIdError]] = {cls.kind: cls for cls in NecIdError.__subclasses__()}")
            && err_rs.contains("\"_BY_KIND\""),
        "python/src/err.rs should find each kind's class by its `kind`"
    );
}

#[test]
fn node_has_a_class_and_code_per_error_kind() {
    let errors_js = read("node/errors.js");
    let header = read("node/dts-header.d.ts");
    let dts = read("node/index.d.ts");
    let mjs = read("node/index.mjs");
    let codes = section(
        &header,
        "export type NecIdErrorCode =",
        "\n\n",
        "dts-header.d.ts",
    );
    assert!(
        dts.starts_with(header.trim_end()),
        "index.d.ts does not start with dts-header.d.ts"
    );
    for kind in ErrorKind::ALL {
        let class = class_of(kind);
        assert!(
            errors_js.contains(&format!(
                "  {}: class {class} extends NecIdError {{}},",
                kind.as_str()
            )),
            "errors.js byKind lacks {kind:?}: {class}"
        );
        assert!(
            mjs.contains(&format!("  {class},")),
            "index.mjs does not export {class}"
        );
        assert!(
            header.contains(&format!("export declare class {class} extends NecIdError")),
            "dts-header.d.ts lacks class {class}"
        );
        assert!(
            codes.contains(&format!("| '{}'", screaming(kind.as_str()))),
            "NecIdErrorCode lacks {}",
            screaming(kind.as_str())
        );
    }
    assert!(codes.contains("| 'INTERNAL'"));
    assert_eq!(codes.matches("| '").count(), ErrorKind::ALL.len() + 1);
}

/// `(kind, doc)` of every error kind, from the core's list.
macro_rules! kind_docs {
    ($($kind:ident $doc:literal,)*) => { [$((stringify!($kind), $doc)),*] };
}

/// The parts of Node's sources rendered from the core's error kinds and settings: `(file,
/// body of each of its generated blocks in order)`.
fn node_generated_blocks() -> Vec<(&'static str, Vec<String>)> {
    let kinds: Vec<(ErrorKind, &str)> = ErrorKind::ALL
        .into_iter()
        .zip(necid::error_kinds!(kind_docs))
        .map(|(kind, (name, doc))| {
            assert_eq!(kind.as_str(), name);
            (kind, doc)
        })
        .collect();
    let each = |line: &dyn Fn(ErrorKind, &str) -> String| -> String {
        kinds.iter().map(|&(k, doc)| line(k, doc) + "\n").collect()
    };
    let by_kind = format!(
        "/** @type {{Record<string, typeof NecIdError>}} */\nconst byKind = {{\n{}}}\n",
        each(&|k, _| format!(
            "  {}: class {} extends NecIdError {{}},",
            k.as_str(),
            class_of(k)
        ))
    );
    let codes = format!(
        "/** Node-style error codes, one per error kind (`INTERNAL`: a failure of the addon \
         itself). */\nexport type NecIdErrorCode =\n{}  | 'INTERNAL'\n",
        each(&|k, _| format!("  | '{}'", screaming(k.as_str())))
    );
    let classes = each(&|k, doc| {
        format!(
            "/** {doc} Code `{}`. */\nexport declare class {} extends NecIdError {{}}",
            screaming(k.as_str()),
            class_of(k)
        )
    });
    vec![
        ("node/errors.js", vec![by_kind]),
        (
            "node/index.mjs",
            vec![each(&|k, _| format!("  {},", class_of(k)))],
        ),
        (
            "node/dts-header.d.ts",
            vec![codes, classes, node_client_options()],
        ),
    ]
}

/// The TypeScript type of a setting in Node's `ClientOptions`.
fn node_option_type(k: &necid::ConfigKey) -> &'static str {
    match (k.name, k.ty) {
        ("tls_roots", _) => "'platform' | 'bundled' | 'custom'",
        ("rename_tag_form", _) => "'auto' | 'body' | 'path'",
        (_, ConfigType::Duration | ConfigType::Count) => "number",
        (_, ConfigType::Pem) => "string | Buffer | Uint8Array",
        _ => "string",
    }
}

/// Node's spelling of a setting: camelCase, durations `…Ms`.
fn node_option(k: &necid::ConfigKey) -> String {
    camel(k.name) + if is_duration(k) { "Ms" } else { "" }
}

/// The settings of Node's `ClientOptions`, documented by the table (a `snake_case` name in
/// backticks in Node's spelling).
fn node_client_options() -> String {
    let mut out = String::new();
    for k in CONFIG_KEYS {
        let doc: String = k
            .doc
            .split('`')
            .enumerate()
            .map(|(i, part)| {
                let snake = i % 2 == 1
                    && part.contains('_')
                    && part.chars().all(|c| c.is_ascii_lowercase() || c == '_');
                match necid::config::config_key(part) {
                    Some(key) if snake => node_option(key),
                    None if snake => camel(part),
                    _ => part.to_owned(),
                }
            })
            .collect::<Vec<_>>()
            .join("`");
        let unit = match k.ty {
            ConfigType::Duration => " In milliseconds.",
            ConfigType::Secret => " Never printed or put in an error message.",
            _ => "",
        };
        let default = match k.default {
            "none" => String::new(),
            d => format!(" Default: `{d}`."),
        };
        out += &format!(
            "  /** {doc}{unit}{default} */\n  {}?: {}\n",
            node_option(k),
            node_option_type(k)
        );
    }
    out
}

/// Replaces the body of each `# BEGIN GENERATED` block of `text` (the lines after the
/// marker's comment, up to the `# END GENERATED` line) with `bodies`, in order; whether
/// anything changed.
fn render_blocks(text: &mut String, bodies: &[String], what: &str) -> bool {
    let mut changed = false;
    let mut from = 0;
    for body in bodies {
        let begin = from
            + text[from..]
                .find("# BEGIN GENERATED")
                .unwrap_or_else(|| panic!("{what}: too few generated blocks"));
        let mut start = begin + text[begin..].find('\n').unwrap() + 1;
        while text[start..].trim_start().starts_with("//") {
            start += text[start..].find('\n').unwrap() + 1;
        }
        let end_marker = start
            + text[start..]
                .find("# END GENERATED")
                .unwrap_or_else(|| panic!("{what}: a generated block has no end"));
        let end = text[..end_marker].rfind('\n').unwrap() + 1;
        if text[start..end] != *body {
            text.replace_range(start..end, body);
            changed = true;
        }
        from = start + body.len();
    }
    changed
}

#[test]
fn node_lists_are_rendered_from_the_core() {
    let mut stale = Vec::new();
    for (rel, bodies) in node_generated_blocks() {
        let mut text = read(rel);
        if !render_blocks(&mut text, &bodies, rel) {
            continue;
        }
        if std::env::var_os("NECID_BLESS").is_some() {
            std::fs::write(repo().join(rel), &text).unwrap();
        } else {
            stale.push(rel);
        }
    }
    assert!(
        stale.is_empty(),
        "{stale:?}: the error kinds or settings are not the core's; rerun with NECID_BLESS=1 \
         cargo test -p necid-e2e --test surfaces to rewrite them"
    );
}

#[test]
fn c_has_a_status_per_error_kind() {
    let h = read("include/necid.h");
    let statuses = section(
        &h,
        "typedef enum necid_status_t {",
        "} necid_status_t;",
        "necid.h",
    );
    // Codes never change once shipped: the first 14 kinds are 1-14, INTERNAL is 15 (as
    // when the C API first shipped), kinds added later follow it (Cancelled = 16).
    const INTERNAL: usize = 15;
    for (i, kind) in ErrorKind::ALL.iter().enumerate() {
        let code = if i + 1 < INTERNAL { i + 1 } else { i + 2 };
        let name = format!("NECID_ERR_{} = {}", screaming(kind.as_str()), code);
        assert!(statuses.contains(&name), "necid_status_t lacks `{name}`");
    }
    let internal = format!("NECID_ERR_INTERNAL = {INTERNAL}");
    assert!(
        statuses.contains(&internal),
        "necid_status_t lacks `{internal}`"
    );
}

#[test]
fn uniffi_has_a_case_per_error_kind() {
    // The committed Swift bindings are generated from the compiled library (60-uniffi
    // checks they are current), so they show the UniFFI error as the languages see it.
    let swift = read("bindings/uniffi/swift/Sources/Necid/Necid.swift");
    let fields = "(reason: String, status: Int32?, errorCode: Int64?, errorType: String?, requestId: String?, field: String?";
    for kind in ErrorKind::ALL
        .iter()
        .map(|k| k.as_str())
        .chain(["Internal"])
    {
        let case = format!("case {kind}{fields}");
        assert!(
            swift.contains(&case),
            "the UniFFI NecIdError lacks `{case}` (bindings/uniffi/swift/Sources)"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Operations: every surface has each operation of `necid::operations::OPERATIONS`.

use necid::operations::OPERATIONS;

#[test]
fn every_surface_has_every_operation() {
    let core = read("core/src/client.rs");
    let blocking = read("core/src/blocking.rs");
    let pyi = read("python/necid/_necid.pyi");
    let python = read("python/src/client.rs");
    let dts = read("node/index.d.ts");
    let c = read("include/necid.h");
    let swift = read("bindings/uniffi/swift/Sources/Necid/Necid.swift");
    let has_fn = |src: &str, name: &str| {
        src.contains(&format!("pub fn {name}("))
            || src.contains(&format!("pub fn {name}<"))
            || src.contains(&format!("pub async fn {name}("))
    };
    let mut missing = Vec::new();
    for op in OPERATIONS {
        let name = op.name;
        let camel_name = camel(name);
        let checks = [
            ("core Client", has_fn(&core, name)),
            // Expanded from the table (`blocking_methods`), so it has every entry once it
            // expands it at all.
            (
                "blocking Client",
                blocking.contains("crate::for_each_operation!(blocking_methods);"),
            ),
            // Client and AsyncClient, in the stub and in the extension.
            (
                "Python stub (sync + async)",
                pyi.matches(&format!("    def {name}(")).count() == 2,
            ),
            // Both classes are expanded from the table (`py_clients!`).
            (
                "Python extension (sync + async)",
                python.contains("necid::for_each_operation!(py_clients);"),
            ),
            ("Node", dts.contains(&format!("  {camel_name}("))),
            ("C", c.contains(&format!("necid_{name}("))),
            (
                "Kotlin/Swift",
                swift.contains(&format!("func {camel_name}(")),
            ),
        ];
        for (surface, ok) in checks {
            if !ok {
                missing.push(format!("{surface} lacks {name}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "operations missing:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_emulator_serves_every_route() {
    // The routes as the emulator declares them: one `.route("path", method(..)...)` each,
    // next to their handlers (api.rs, tenant.rs; health, unauthenticated, in http.rs). The
    // emulator keeps its own routes rather than expanding the core's table, so that this
    // test compares two independent writings of the reference's paths.
    let sources = [
        "server/src/api.rs",
        "server/src/tenant.rs",
        "server/src/http.rs",
    ]
    .map(read)
    .join("\n");
    let routes: Vec<(String, String)> = sources
        .split(".route(")
        .skip(1)
        .filter_map(|chunk| {
            let start = chunk.find('"')? + 1;
            let len = chunk[start..].find('"')?;
            // Up to the next route or the end of the routing function.
            let end = [".route(", "\n}"]
                .iter()
                .filter_map(|stop| chunk.find(stop))
                .min()
                .unwrap_or(chunk.len());
            Some((
                chunk[start..start + len].to_owned(),
                chunk[..end].to_owned(),
            ))
        })
        .collect();
    // `{anything}` → `{}`: parameter names differ.
    let shape = |p: &str| {
        p.split('/')
            .map(|s| if s.starts_with('{') { "{}" } else { s })
            .collect::<Vec<_>>()
            .join("/")
    };
    for op in OPERATIONS {
        let Some((method, path)) = op.route else {
            continue;
        };
        let route = routes.iter().find(|(p, _)| shape(p) == shape(path));
        let Some((_, chunk)) = route else {
            panic!(
                "the emulator (server/src/api.rs, tenant.rs) has no route {path} for {}",
                op.name
            );
        };
        assert!(
            chunk.contains(&format!("{}(", method.to_ascii_lowercase())),
            "the emulator's route {path} does not answer {method} ({})",
            op.name
        );
    }
}

// ---------------------------------------------------------------------------------------
// The Python stub's operations, rendered from the table

/// One parameter of a stub method: name, Python type, default, and whether the
/// keyword-only part (`*`) starts at it.
struct PyParam {
    name: &'static str,
    ty: &'static str,
    default: Option<String>,
    star: bool,
}

/// One argument's stub parameters, pushed onto `$v`. A struct argument is flattened (its
/// required fields positional, the rest keyword-only), as `py_clients!` does. An argument
/// type without a rule here does not compile: add the rule the Python binding has.
macro_rules! py_param {
    ($v:ident $a:ident [&str]) => { py_param!(@push $v $a "str") };
    ($v:ident $a:ident [String]) => { py_param!(@push $v $a "str") };
    ($v:ident $a:ident [impl Into<Image>]) => { py_param!(@push $v $a "ImageInput") };
    ($v:ident $a:ident [Image]) => { py_param!(@push $v $a "ImageInput") };
    ($v:ident $a:ident [&[BulkRegistration]]) => {
        py_param!(@push $v $a "Iterable[RegistrationInput]")
    };
    ($v:ident $a:ident [u32] = $d:literal) => { py_param!(@push $v $a "int" = $d) };
    ($v:ident $a:ident [Duration] = $d:literal) => { py_param!(@push $v $a "float" = $d) };
    ($v:ident $a:ident [SortDirection] = $d:literal) => {
        py_param!(@push $v $a "SortDirection" = $d)
    };
    ($v:ident $a:ident [Option<&str>]) => { py_param!(@opt $v $a "Optional[str]") };
    ($v:ident $a:ident [Option<String>]) => { py_param!(@opt $v $a "Optional[str]") };
    ($v:ident $a:ident [Option<u32>]) => { py_param!(@opt $v $a "Optional[int]") };
    ($v:ident $a:ident [Option<u64>]) => { py_param!(@opt $v $a "Optional[int]") };
    ($v:ident $a:ident [Option<f64>]) => { py_param!(@opt $v $a "Optional[float]") };
    ($v:ident $a:ident [&[String]]) => { py_param!(@opt $v $a "Optional[Iterable[str]]") };
    ($v:ident $a:ident [Option<Image>]) => { py_param!(@opt $v $a "Optional[ImageInput]") };
    ($v:ident $a:ident [Option<&[String]>]) => {
        py_param!(@opt $v $a "Optional[Iterable[str]]")
    };
    ($v:ident $a:ident [Vec<String>]) => { py_param!(@opt $v $a "Optional[Iterable[str]]") };
    ($v:ident $a:ident [&[(String, String)]]) => { py_param!(@opt $v $a "Optional[HeadersInput]") };
    ($v:ident $a:ident [&[u8]]) => { py_param!(@opt $v $a "Optional[BodyInput]") };
    ($v:ident $a:ident [impl FnMut(&BulkProgress) + Send + 'static]) => {
        py_param!(@opt $v $a "Optional[Callable[[BulkProgress], Any]]")
    };
    ($v:ident $a:ident [$($t:tt)*] { $($f:ident : [$($ft:tt)*] $(= $fd:literal)?),* }) => {{
        let first = $v.len();
        $( py_param!($v $f [$($ft)*] $(= $fd)?); )*
        // Keyword-only from the struct's first optional field on.
        if let Some(p) = $v[first..].iter_mut().find(|p| p.default.is_some()) {
            p.star = true;
        }
    }};
    (@push $v:ident $a:ident $ty:literal $(= $d:literal)?) => {
        $v.push(PyParam {
            name: stringify!($a),
            ty: $ty,
            default: None $(.or(Some(stringify!($d).to_owned())))?,
            star: false,
        })
    };
    (@opt $v:ident $a:ident $ty:literal) => {
        $v.push(PyParam { name: stringify!($a), ty: $ty, default: Some("None".into()), star: false })
    };
}

/// The Python result type of a table result type.
macro_rules! py_result {
    (()) => {
        "None"
    };
    (String) => {
        "str"
    };
    (Vec<(String, String)>) => {
        "list[tuple[str, str]]"
    };
    (Vec<$t:ident>) => {
        concat!("ResultList[", stringify!($t), "]")
    };
    ($t:ident) => {
        stringify!($t)
    };
}

/// Every operation as (name, parameters, result, is_async).
macro_rules! py_operations {
    ($(
        $(#[doc = $doc:literal])*
        $asyncness:ident fn $name:ident (
            $( $arg:ident : [$($ty:tt)*]
               $( { $( $field:ident : [$($fty:tt)*] $(= $fdefault:literal)? ),* } )?
               $( = $default:literal )?
            ),*
        ) -> [$($ret:tt)*] = $route:tt ;
    )*) => {
        vec![$({
            #[allow(unused_mut)]
            let mut v: Vec<PyParam> = Vec::new();
            $( py_param!(v $arg [$($ty)*]
                $({ $( $field : [$($fty)*] $(= $fdefault)? ),* })? $(= $default)?); )*
            (stringify!($name), v, py_result!($($ret)*), stringify!($asyncness) == "async")
        }),*]
    };
}

const PY_LINE_LENGTH: usize = 100;

/// A stub method as `ruff format` lays it out: on one line if it fits, else the
/// parameters on one indented line if that fits, else one parameter a line.
fn py_def(name: &str, params: &[PyParam], result: &str) -> String {
    let mut parts = vec!["self".to_owned()];
    let mut starred = false;
    for p in params {
        if p.star && !starred {
            parts.push("*".to_owned());
            starred = true;
        }
        let default = p
            .default
            .as_ref()
            .map(|d| format!(" = {d}"))
            .unwrap_or_default();
        parts.push(format!("{}: {}{default}", p.name, p.ty));
    }
    let joined = parts.join(", ");
    let one = format!("    def {name}({joined}) -> {result}: ...");
    if one.chars().count() <= PY_LINE_LENGTH {
        return one;
    }
    let inner = format!("        {joined}");
    if inner.chars().count() <= PY_LINE_LENGTH {
        return format!("    def {name}(\n{inner}\n    ) -> {result}: ...");
    }
    let each: String = parts.iter().map(|p| format!("        {p},\n")).collect();
    format!("    def {name}(\n{each}    ) -> {result}: ...")
}

const PY_BEGIN: &str = "    # BEGIN GENERATED: the operations (tests/e2e/tests/surfaces.rs renders them from\n    # the core's operation table; NECID_BLESS=1 cargo test -p necid-e2e --test surfaces\n    # rewrites them).\n";
const PY_END: &str = "    # END GENERATED\n";

/// The generated part of one stub class.
#[allow(clippy::vec_init_then_push)] // one push per argument, from the table
fn py_class_operations(is_async_class: bool) -> String {
    let mut out = String::from(PY_BEGIN);
    for (name, mut params, result, is_async) in necid::for_each_operation!(py_operations) {
        // The Python binding's sign_request also takes the signing time (the core's
        // sign_request_at), keyword-only.
        if name == "sign_request" {
            params.push(PyParam {
                name: "time",
                ty: "Union[datetime.datetime, float, None]",
                default: Some("None".into()),
                star: true,
            });
        }
        // Every operation that sends a request takes per-call options, keyword-only.
        if is_async {
            params.push(PyParam {
                name: "options",
                ty: "Optional[CallOptions]",
                default: Some("None".into()),
                star: true,
            });
        }
        let result = if is_async_class && is_async {
            format!("Awaitable[{result}]")
        } else {
            result.to_owned()
        };
        out.push_str(&py_def(name, &params, &result));
        out.push('\n');
    }
    out.push_str(PY_END);
    out
}

const PY_SHARED: &str =
    "    # Shared with AsyncClient (tests/e2e/tests/surfaces.rs copies these into it).\n";
const PY_SHARED_BEGIN: &str = "    # BEGIN GENERATED: Client's shared members (tests/e2e/tests/surfaces.rs copies them;\n    # NECID_BLESS=1 cargo test -p necid-e2e --test surfaces rewrites them).\n";

/// AsyncClient's copy of the members both classes have (constructors, configuration
/// getters, `close`, paginators: one template in `py_clients!`), from the stub's `Client`;
/// its paginators return `AsyncPageIterator`s.
fn py_async_shared(pyi: &str) -> String {
    let client = section(pyi, "class Client:", "\nclass ", "the stub's Client");
    let shared = section(client, PY_SHARED, PY_BEGIN, "the stub's Client");
    let shared = shared.replace("-> PageIterator[", "-> AsyncPageIterator[");
    format!("{PY_SHARED_BEGIN}{shared}    # END GENERATED\n")
}

#[test]
fn python_stub_operations_are_the_table() {
    let rel = "python/necid/_necid.pyi";
    let blocks = [("class Client:", false), ("class AsyncClient:", true)]
        .map(|(class, is_async)| (class, PY_BEGIN, py_class_operations(is_async)));
    check_generated(rel, &blocks);
    let settings = "class _Settings(TypedDict, total=False):";
    check_generated(rel, &[(settings, PY_SETTINGS_BEGIN, py_settings())]);
    // (One test writes the stub: tests run in parallel.)
    let shared = py_async_shared(&read(rel));
    check_generated(rel, &[("class AsyncClient:", PY_SHARED_BEGIN, shared)]);
}

// ---------------------------------------------------------------------------------------
// Generated blocks of the Python package

/// Checks the generated blocks of `rel`: for each `(anchor, begin, expected)`, the text
/// from the first `begin` after `anchor` through the next `# END GENERATED` line must be
/// `expected` (which includes both marker lines). `NECID_BLESS=1` rewrites stale blocks.
fn check_generated(rel: &str, blocks: &[(&str, &str, String)]) {
    let mut text = read(rel);
    let mut stale = Vec::new();
    for (anchor, begin_marker, expected) in blocks {
        let at = text
            .find(anchor)
            .unwrap_or_else(|| panic!("{rel}: no {anchor:?}"));
        let begin = at
            + text[at..]
                .find(begin_marker)
                .unwrap_or_else(|| panic!("{rel}: no generated part after {anchor:?}"));
        let end_line = text[begin..]
            .find("# END GENERATED\n")
            .unwrap_or_else(|| panic!("{rel}: the block after {anchor:?} has no end"));
        let end = begin + end_line + "# END GENERATED\n".len();
        if text[begin..end] != **expected {
            stale.push(*anchor);
            text.replace_range(begin..end, expected);
        }
    }
    if stale.is_empty() {
        return;
    }
    if std::env::var_os("NECID_BLESS").is_some() {
        std::fs::write(repo().join(rel), &text).unwrap();
        return;
    }
    panic!(
        "{rel}: the generated parts after {stale:?} are stale; rerun with NECID_BLESS=1 to \
         rewrite them"
    );
}

/// `text` as a Python docstring at `indent`, wrapped to the line length.
fn py_docstring(indent: &str, text: &str) -> String {
    let mut out = String::new();
    for (i, paragraph) in text.split("\n\n").enumerate() {
        let mut line = if i == 0 {
            format!("{indent}\"\"\"")
        } else {
            out.push('\n');
            indent.to_owned()
        };
        let mut fresh = true;
        // A literal (``a b``) stays on one line.
        let mut words: Vec<String> = Vec::new();
        for word in paragraph.split_whitespace() {
            match words.last_mut() {
                Some(open) if open.matches("``").count() % 2 == 1 => {
                    open.push(' ');
                    open.push_str(word);
                }
                _ => words.push(word.to_owned()),
            }
        }
        for word in &words {
            if !fresh && line.chars().count() + 1 + word.chars().count() > PY_LINE_LENGTH - 3 {
                out.push_str(&line);
                out.push('\n');
                line = indent.to_owned();
                fresh = true;
            }
            if !fresh {
                line.push(' ');
            }
            line.push_str(word);
            fresh = false;
        }
        out.push_str(&line);
        out.push('\n');
    }
    out.pop();
    out.push_str("\"\"\"\n");
    out
}

/// What Python adds to a kind's class: another base class, and a note after the core's doc.
fn py_exception_extras(kind: ErrorKind) -> (&'static str, &'static str) {
    match kind {
        ErrorKind::InvalidInput => (", ValueError", ""),
        ErrorKind::Network => (", ConnectionError", ""),
        ErrorKind::TimedOut => (", TimeoutError", ""),
        ErrorKind::Duplicate => ("", " For example, a tag that already exists."),
        ErrorKind::Timeout => (
            "",
            "\n\nNot a :class:`TimeoutError`: the client did not time out (that is \
             :class:`TimedOutError`); the service answered that it could not finish.",
        ),
        ErrorKind::NoFace => ("", " No face was found in the image."),
        ErrorKind::PoorQuality => ("", " The face's quality is below the minimum."),
        ErrorKind::MultipleFaces => ("", " One face was required, several were found."),
        ErrorKind::Cancelled => (
            "",
            "\n\nIn Python the cancel handle is a :class:`CancelToken`; asyncio's own task \
             cancellation raises :class:`asyncio.CancelledError` as usual.",
        ),
        _ => ("", ""),
    }
}

const PY_EXCEPTIONS_BEGIN: &str = "# BEGIN GENERATED: a class per error kind (tests/e2e/tests/surfaces.rs renders them from\n# the core's `necid::error_kinds!`; NECID_BLESS=1 cargo test -p necid-e2e --test surfaces\n# rewrites them).\n";

/// The generated part of `necid/exceptions.py`: `__all__` and a class per kind.
fn py_exceptions() -> String {
    let kinds: Vec<(ErrorKind, &str)> = ErrorKind::ALL
        .into_iter()
        .zip(necid::error_kinds!(kind_docs))
        .map(|(kind, (_, doc))| (kind, doc))
        .collect();
    let mut names: Vec<String> = kinds.iter().map(|(k, _)| class_of(*k)).collect();
    names.push("NecIdError".to_owned());
    names.sort();
    let mut out = String::from(PY_EXCEPTIONS_BEGIN);
    out.push_str("__all__ = [\n");
    for name in &names {
        out.push_str(&format!("    \"{name}\",\n"));
    }
    out.push_str("]\n");
    for (kind, doc) in kinds {
        let (base, note) = py_exception_extras(kind);
        let doc = format!("{}{note}", doc.replace('`', "``"));
        out.push_str(&format!(
            "\n\nclass {}(NecIdError{base}):\n{}\n    kind = \"{}\"\n",
            class_of(kind),
            py_docstring("    ", &doc),
            kind.as_str()
        ));
    }
    out.push_str("\n\n# END GENERATED\n");
    out
}

#[test]
fn python_exceptions_are_the_error_kinds() {
    let rel = "python/necid/exceptions.py";
    check_generated(rel, &[("", PY_EXCEPTIONS_BEGIN, py_exceptions())]);
}

const PY_SETTINGS_BEGIN: &str = "    # BEGIN GENERATED from the core's settings table (tests/e2e/tests/surfaces.rs renders\n    # it; NECID_BLESS=1 cargo test -p necid-e2e --test surfaces rewrites it)\n";

/// The Python type of a setting's keyword (`None` always means unset).
fn py_setting_type(k: &necid::ConfigKey) -> &'static str {
    match (k.name, k.ty) {
        // Text settings the binding refines: a Literal of the values, a path.
        ("tls_roots", _) => r#"Literal["platform", "bundled", "custom"]"#,
        ("rename_tag_form", _) => r#"Literal["auto", "body", "path"]"#,
        ("ca_bundle" | "client_cert" | "client_key", _) => "Union[str, os.PathLike[str]]",
        (_, ConfigType::Text | ConfigType::Secret) => "str",
        (_, ConfigType::Duration) => "float",
        (_, ConfigType::Count) => "int",
        (_, ConfigType::Pem) => "Union[bytes, str]",
    }
}

/// The generated part of the stub's `_Settings`: a keyword per setting.
fn py_settings() -> String {
    let mut out = String::from(PY_SETTINGS_BEGIN);
    for k in CONFIG_KEYS {
        out.push_str(&format!(
            "    {}: Optional[{}]\n",
            k.name,
            py_setting_type(k)
        ));
    }
    out.push_str("    # END GENERATED\n");
    out
}

// ---------------------------------------------------------------------------------------
// The Python result classes, rendered from the core's models

/// A documented item of `core/src/models.rs`: a struct's field or a method of its `impl`.
struct RustItem {
    owner: String,
    name: String,
    ty: String,
    doc: String,
}

/// The structs (with their docs), fields and `&self` methods of a Rust source, read line
/// by line (rustfmt's layout).
fn rust_items(src: &str) -> (Vec<(String, String)>, Vec<RustItem>) {
    let (mut structs, mut items) = (Vec::new(), Vec::new());
    let (mut doc, mut owner, mut depth) = (Vec::<String>::new(), String::new(), 0i32);
    for line in src.lines().map(str::trim) {
        if depth > 0 {
            // Inside a multi-line attribute.
            depth += line.matches(['(', '[']).count() as i32;
            depth -= line.matches([')', ']']).count() as i32;
            continue;
        }
        if let Some(text) = line.strip_prefix("///") {
            doc.push(text.trim().to_owned());
            continue;
        }
        if line.starts_with("#[") {
            depth =
                line.matches(['(', '[']).count() as i32 - line.matches([')', ']']).count() as i32;
            continue;
        }
        let text = doc
            .join("\n")
            .replace("\n\n", "\u{0}")
            .replace('\n', " ")
            .replace('\u{0}', "\n\n");
        doc.clear();
        if let Some(rest) = line.strip_prefix("pub struct ") {
            owner = rest.trim_end_matches(" {").to_owned();
            structs.push((owner.clone(), text));
        } else if let Some(rest) = line.strip_prefix("impl ") {
            owner = rest.trim_end_matches(" {").to_owned();
        } else if let Some(rest) = line.strip_prefix("pub fn ") {
            if let Some((name, ret)) = rest.split_once("(&self) -> ") {
                let ty = ret.trim_end_matches(" {").to_owned();
                items.push(RustItem {
                    owner: owner.clone(),
                    name: name.to_owned(),
                    ty,
                    doc: text,
                });
            }
        } else if let Some((name, ty)) = line.strip_prefix("pub ").and_then(|l| l.split_once(": "))
        {
            let ty = ty.trim_end_matches(',').to_owned();
            items.push(RustItem {
                owner: owner.clone(),
                name: name.to_owned(),
                ty,
                doc: text,
            });
        }
    }
    (structs, items)
}

/// A core doc comment as Python docstring text: rustdoc links and code spans as
/// reStructuredText literals, Rust's words for Python's.
fn py_doc(doc: &str) -> String {
    let mut text = String::new();
    let mut rest = doc;
    // [`a::b`] and [`b`](path) → `b`
    while let Some(at) = rest.find("[`") {
        text.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let Some(end) = after.find("`]") else { break };
        let name = after[..end].rsplit("::").next().unwrap_or_default();
        text.push_str(&format!("`{name}`"));
        rest = &after[end + 2..];
        if rest.starts_with('(') {
            rest = &rest[rest.find(')').map_or(0, |i| i + 1)..];
        }
    }
    text.push_str(rest);
    text.replace('`', "``")
        .replace('–', "-")
        .replace('≥', ">=")
        .replace("``Debug``", "``repr``")
        .replace("``verified: false``", "``verified=False``")
        .replace("``verified = false``", "``verified=False``")
        .replace("an empty list", "an empty tuple")
}

/// The Python type of a core type, and its default once a field before it has one.
fn py_type(ty: &str) -> (String, Option<&'static str>) {
    if let Some(inner) = ty.strip_prefix("Option<").and_then(|t| t.strip_suffix('>')) {
        return (format!("Optional[{}]", py_type(inner).0), Some("None"));
    }
    if let Some(inner) = ty.strip_prefix("Vec<").and_then(|t| t.strip_suffix('>')) {
        return (format!("Tuple[{}, ...]", py_type(inner).0), Some("()"));
    }
    match ty {
        "String" => ("str".into(), Some("\"\"")),
        "bool" => ("bool".into(), Some("False")),
        "u16" | "u32" | "u64" | "i64" | "usize" => ("int".into(), Some("0")),
        "f64" => ("float".into(), Some("0.0")),
        model => (model.to_owned(), None),
    }
}

/// A Python attribute: its name, the core field or method it shows, whether a method.
type PyAttr = (String, String, bool);

/// The Python attributes of each model, in order, as the `models!` table of
/// `python/src/convert.rs` lists them.
fn py_model_table() -> Vec<(String, Vec<PyAttr>)> {
    let src = read("python/src/convert.rs");
    let table = section(&src, "\nmodels! {\n", "\n}\n", "python/src/convert.rs");
    let mut models = Vec::new();
    for entry in table.split('}').filter(|e| e.contains('{')) {
        let (model, fields) = entry.split_once('{').unwrap();
        let fields = fields
            .split(',')
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .map(|f| match f.split_once(" = ") {
                Some((name, method)) => (
                    name.to_owned(),
                    method.trim_end_matches("()").to_owned(),
                    true,
                ),
                None => (f.to_owned(), f.to_owned(), false),
            })
            .collect();
        models.push((model.trim().to_owned(), fields));
    }
    models
}

const PY_MODELS_BEGIN: &str = "# BEGIN GENERATED: the result classes (tests/e2e/tests/surfaces.rs renders them from the\n# core's models and the attributes `models!` lists in python/src/convert.rs; NECID_BLESS=1\n# cargo test -p necid-e2e --test surfaces rewrites them).\n";

/// The generated part of `necid/models.py`: `__all__` and a frozen dataclass per model.
fn py_models() -> String {
    let (structs, items) = rust_items(&read("core/src/models.rs"));
    let mut models = py_model_table();
    // Python's own class (not a core model's view).
    models.retain(|(m, _)| m != "ResponseMetadata");
    // An input: every field.
    let input = "BulkRegistration";
    let fields = items
        .iter()
        .filter(|i| i.owner == input)
        .map(|i| (i.name.clone(), i.name.clone(), false));
    models.push((input.to_owned(), fields.collect()));
    let mut names: Vec<&str> = models.iter().map(|(m, _)| m.as_str()).collect();
    names.extend(["ResponseMetadata", "ResultList"]);
    names.sort_unstable();
    let mut out = String::from(PY_MODELS_BEGIN);
    out.push_str("__all__ = [\n");
    for name in names {
        out.push_str(&format!("    \"{name}\",\n"));
    }
    out.push_str("]\n");
    for (model, fields) in &models {
        let (_, doc) = structs
            .iter()
            .find(|(s, _)| s == model)
            .unwrap_or_else(|| panic!("core/src/models.rs has no struct {model}"));
        out.push_str(&format!(
            "\n\n@dataclass(frozen=True)\nclass {model}(_Model):\n"
        ));
        out.push_str(&py_docstring("    ", &py_doc(doc)));
        out.push('\n');
        let mut defaulted = false;
        for (attr, source, computed) in fields {
            let item = items
                .iter()
                .find(|i| i.owner == *model && i.name == *source)
                .unwrap_or_else(|| panic!("core/src/models.rs: {model} has no {source}"));
            let (ty, default) = py_type(&item.ty);
            // Optional and sequence fields, values computed by the core, and every field
            // after one of those, have a default.
            defaulted |= *computed || item.ty.starts_with("Option<") || item.ty.starts_with("Vec<");
            let default = match default.filter(|_| defaulted) {
                // API keys stay out of `repr`.
                Some(d) if attr == "api_key" => format!(" = field(default={d}, repr=False)"),
                Some(d) => format!(" = {d}"),
                None => String::new(),
            };
            out.push_str(&format!("    {attr}: {ty}{default}\n"));
            out.push_str(&py_docstring("    ", &py_doc(&item.doc)));
        }
    }
    out.push_str("\n\n# END GENERATED\n");
    out
}

#[test]
fn python_models_are_the_core_models() {
    let rel = "python/necid/models.py";
    check_generated(rel, &[("", PY_MODELS_BEGIN, py_models())]);
}

// ---------------------------------------------------------------------------------------
// Node's result objects, rendered from the core's models

const NODE_MODELS_BEGIN: &str = "// # BEGIN GENERATED: the result objects (tests/e2e/tests/surfaces.rs renders them from\n// the core's models, docs included, and the fields `js_from!` lists above; NECID_BLESS=1\n// cargo test -p necid-e2e --test surfaces rewrites them).\n";

/// `(JS object, core model, whether an argument, [(field, core field (`part.field` for
/// `field in part`) or method, whether a method)])` of each entry of `js_from!` in `node/src/models.rs` (`Object from
/// necid::Model { … }`, a result; `Object into necid::Model { … }`, an argument).
fn node_model_table() -> Vec<(String, String, bool, Vec<PyAttr>)> {
    let src = read("node/src/models.rs");
    let table = section(&src, "\njs_from! {\n", "\n}\n", "node/src/models.rs");
    let mut models = Vec::new();
    for entry in table.split('}').filter(|e| e.contains('{')) {
        let (head, fields) = entry.split_once('{').unwrap();
        let head: Vec<&str> = head.split_whitespace().collect();
        let [js, way @ ("from" | "into"), core] = head[..] else {
            panic!("node/src/models.rs: js_from! entry {head:?}");
        };
        let fields = fields
            .split(',')
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .map(|f| match (f.split_once(" = "), f.split_once(" in ")) {
                (Some((name, method)), _) => (
                    name.to_owned(),
                    method.trim_end_matches("()").to_owned(),
                    true,
                ),
                // `field in part`: the field of the model's field `part`.
                (_, Some((name, part))) => (name.to_owned(), format!("{part}.{name}"), false),
                _ => (f.to_owned(), f.to_owned(), false),
            })
            .collect();
        let core = core.trim_start_matches("necid::").to_owned();
        models.push((js.to_owned(), core, way == "into", fields));
    }
    models
}

/// The Node field type of a core type (counts as JS numbers, `Event` as `SubjectEvent`; in
/// an argument a `u64` is read as `i64`, so a negative size is invalid input, not wrapped).
fn node_type(ty: &str, argument: bool) -> String {
    if argument && let Some(inner) = ty.strip_prefix("Vec<").and_then(|t| t.strip_suffix('>')) {
        // A list an argument may leave out (absent: empty).
        return format!("Option<Vec<{}>>", node_type(inner, argument));
    }
    for wrapper in ["Option", "Vec"] {
        if let Some(inner) = ty
            .strip_prefix(wrapper)
            .and_then(|t| t.strip_prefix('<'))
            .and_then(|t| t.strip_suffix('>'))
        {
            return format!("{wrapper}<{}>", node_type(inner, argument));
        }
    }
    match ty {
        "u64" if argument => "i64".to_owned(),
        "u16" => "u32".to_owned(),
        "u64" => "f64".to_owned(),
        "usize" => "u32".to_owned(),
        "Event" => "SubjectEvent".to_owned(),
        t => t.to_owned(),
    }
}

/// A core doc comment as `///` lines for a Node object at `indent`: rustdoc links as code
/// spans, Rust's words for JavaScript's, wrapped to the line length.
fn node_doc(indent: &str, doc: &str) -> String {
    let mut text = String::new();
    let mut rest = doc;
    // [`a::b`] and [`b`](path) → `b`
    while let Some(at) = rest.find("[`") {
        text.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let Some(end) = after.find("`]") else { break };
        text.push_str(&format!(
            "`{}`",
            camel(after[..end].rsplit("::").next().unwrap())
        ));
        rest = &after[end + 2..];
        if rest.starts_with('(') {
            rest = &rest[rest.find(')').map_or(0, |i| i + 1)..];
        }
    }
    text.push_str(rest);
    let text = text
        .replace(" `Debug` hides the API key.", "")
        .replace(
            " (Required fields first: the order Kotlin and Swift constructors take them in.)",
            "",
        )
        .replace("`None`", "absent");
    let mut out = String::new();
    for (i, paragraph) in text.split("\n\n").enumerate() {
        if i > 0 {
            out.push_str(&format!("{indent}///\n"));
        }
        let mut line = format!("{indent}///");
        for word in paragraph.split_whitespace() {
            if line.len() > indent.len() + 3 && line.chars().count() + 1 + word.chars().count() > 92
            {
                out.push_str(&line);
                out.push('\n');
                line = format!("{indent}///");
            }
            line.push(' ');
            line.push_str(word);
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// The generated part of `node/src/models.rs`: a `#[napi(object)]` per object of the table
/// (the core's models, and its `ResponseMetadata`).
fn node_models() -> String {
    let (mut structs, mut items) = rust_items(&read("core/src/models.rs"));
    let (call_structs, call_items) = rust_items(&read("core/src/call.rs"));
    structs.extend(call_structs);
    items.extend(call_items);
    let mut out = String::from(NODE_MODELS_BEGIN);
    for (js, core, argument, fields) in node_model_table() {
        let (_, doc) = structs
            .iter()
            .find(|(s, _)| *s == core)
            .unwrap_or_else(|| panic!("core/src/models.rs has no struct {core}"));
        let mut doc = doc.clone();
        if js != core {
            doc.push_str(&format!(
                " (Named `{js}` rather than `{core}` so it does not shadow the global `{core}` \
                 class.)"
            ));
        }
        out.push_str(&node_doc("", &doc));
        out.push_str(&format!("#[napi(object)]\npub struct {js} {{\n"));
        for (field, source, _) in fields {
            let find = |owner: &str, name: &str| {
                items
                    .iter()
                    .find(|i| i.owner == owner && i.name == name)
                    .unwrap_or_else(|| panic!("core/src/models.rs: {owner} has no {name}"))
            };
            let item = match source.split_once('.') {
                Some((part, name)) => find(&find(&core, part).ty, name),
                None => find(&core, &source),
            };
            out.push_str(&node_doc("    ", &item.doc));
            out.push_str(&format!(
                "    pub {field}: {},\n",
                node_type(&item.ty, argument)
            ));
        }
        out.push_str("}\n\n");
    }
    out.push_str("// # END GENERATED\n");
    out
}

#[test]
fn node_models_are_the_core_models() {
    check_generated(
        "node/src/models.rs",
        &[("", NODE_MODELS_BEGIN, node_models())],
    );
}

// ---------------------------------------------------------------------------------------
// The Python clients' docstring: their keyword arguments, from the settings table

const PY_KEYWORDS_BEGIN: &str = "// # BEGIN GENERATED: the keyword arguments (tests/e2e/tests/surfaces.rs renders them from\n// the core's settings table; NECID_BLESS=1 cargo test -p necid-e2e --test surfaces\n// rewrites them).\n";

/// `text` in lines of at most `width` characters, the first after `first`, the others
/// after `next`.
fn wrap(text: &str, width: usize, first: &str, next: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = first.to_owned();
    for word in text.split_whitespace() {
        if line.len() > next.len() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::replace(&mut line, next.to_owned()));
        }
        if !line.ends_with(' ') && line != first && line != next {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines
}

/// The generated part of `Client`'s doc comment (`python/src/client.rs`): one line per
/// setting of `CONFIG_KEYS`, with its doc, as `#[doc]` attributes.
fn py_client_keywords() -> String {
    let mut doc = wrap(
        "Keyword arguments (all optional; unset ones take the SDK defaults), the settings \
         table of the core's README:",
        88,
        " ",
        " ",
    );
    doc.push(String::new());
    for k in CONFIG_KEYS {
        let unit = if is_duration(k) { " (seconds)" } else { "" };
        let item = format!("``{}``{unit}: {}", k.name, py_doc(k.doc));
        doc.extend(wrap(&item, 88, " - ", "   "));
    }
    let mut out = String::from(PY_KEYWORDS_BEGIN);
    for line in doc {
        let line = line.trim_end().replace('\\', "\\\\").replace('"', "\\\"");
        out.push_str(&format!("#[doc = \"{line}\"]\n"));
    }
    out.push_str("// # END GENERATED\n");
    out
}

#[test]
fn python_client_doc_lists_the_settings() {
    let rel = "python/src/client.rs";
    check_generated(rel, &[("", PY_KEYWORDS_BEGIN, py_client_keywords())]);
}
