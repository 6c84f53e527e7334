//! The operation table: every operation of [`crate::Client`], written once, in
//! [`for_each_operation!`](crate::for_each_operation). Everything else about operations is
//! expanded from it: [`OPERATIONS`] (the runtime list `tests/e2e/tests/surfaces.rs` checks
//! every surface against), the blocking client ([`crate::blocking::Client`]), and each
//! binding's glue (Python's `Client`/`AsyncClient`; Node, C and UniFFI expand it with
//! callbacks of their own). Adding an operation: its async method in `core/src/client.rs`
//! and its entry here; the core does not compile until the two agree (the blocking client
//! calls the async method with the table's argument types).
//!
//! # Expanding the table in a binding
//!
//! `necid::for_each_operation!(my_callback)` invokes `my_callback! { ENTRIES }` once, with
//! the whole list (a binding needs the whole list to put every method in one
//! `#[pymethods]` / `#[napi]` / `#[uniffi::export]` impl block: those attributes see the
//! block as the callback wrote it, not nested macro calls). With extra tokens,
//! `necid::for_each_operation!(my_callback, TOKENS…)` invokes `my_callback! { TOKENS…
//! ENTRIES }`: use that to hand the callback the hand-written parts of the same impl block
//! (constructors, getters, paginators, an operation whose shape is special).
//!
//! Each entry is:
//!
//! ```text
//! /// Doc lines (one `#[doc = "…"]` attribute each; language-neutral, Markdown).
//! async fn name(arg: [CoreType] {field: [FieldType] = default, …} = default, …) -> [Result]
//!     = (METHOD "/path");
//! ```
//!
//! - `async` or `sync` (instead of `async`): whether the core method returns a future
//!   (`async`) or is a plain function without I/O (`sync`: `sign_request`).
//! - `name`: the method name of [`crate::Client`] and [`crate::blocking::Client`] (Python,
//!   C `necid_<name>`; camelCase in Node, Kotlin and Swift).
//! - Each argument's core type is one bracketed token list, exactly as the core method
//!   takes it (`[&str]`, `[Option<&str>]`, `[impl Into<Image>]`, `[&[String]]`,
//!   `[Option<Image>]`, `[Option<&[String]>]` (absent vs an empty list), …), so a
//!   callback can both re-emit it as a type (`$($ty)*`) and match particular types
//!   literally (`[impl Into<Image>]` → the host's image input). Types are the names the
//!   core exports (`necid::*`), plus `Duration`; a callback emitting them as Rust types
//!   brings them into scope or maps them.
//! - An argument that is a struct of the core (`SearchRequest`, `NewGallery`,
//!   `WaitOptions`, …) lists its fields in braces (required ones first, then optional
//!   ones, in the order bindings present them); a binding may flatten them into keyword
//!   arguments / an options object and build the struct with a struct literal. The core
//!   checks the list is every field with its type.
//! - `= default`: the value a binding uses when the caller omits the argument (a literal:
//!   a number, or a string for an enum such as `SortDirection`; durations in seconds).
//!   `Option<…>` arguments and tag lists default to none/empty without saying so.
//! - The result type is bracketed likewise (`[()]` for none); every operation returns
//!   `necid::Result<that>` (async ones as a `Send + 'static` future).
//! - The route is `(METHOD "/path")` of the request it sends (`{…}` are parameters), or
//!   `()` for an operation that sends no single request of its own.
//!
//! A callback matches the entries with this pattern (the types as token lists):
//!
//! ```text
//! $(
//!     $(#[doc = $doc:literal])*
//!     $asyncness:ident fn $name:ident (
//!         $( $arg:ident : [$($ty:tt)*]
//!            $( { $( $field:ident : [$($fty:tt)*] $(= $fdefault:literal)? ),* } )?
//!            $( = $default:literal )?
//!         ),*
//!     ) -> [$($ret:tt)*] = $route:tt ;
//! )*
//! ```
//!
//! To treat operations differently by shape (an image argument, a callback, `sync`), munch
//! the entries one at a time with rules that match those tokens literally; the Python
//! binding (`python/src/client.rs`) and the blocking client (`core/src/blocking.rs`) are
//! worked examples. Two rules of `macro_rules!` apply: inside the optional `$( {…} )?`
//! group use only the field metavariables (a `$($ty)*` of the argument in there repeats at
//! another depth and does not compile): hand the argument's type and the braces to a
//! helper rule instead, as the core's own `operation_list!` does; and a metavariable that
//! must be matched literally later stays a token list (`tt`), never `ty`/`expr`.
//!
//! Proc-macro attributes apply to what the callback emits like to hand-written code, as
//! long as the callback emits the whole item they are on:
//! - PyO3 0.30 `#[pymethods]` reads its impl block as written: a macro invocation inside
//!   it is rejected ("macros cannot be used as items in `#[pymethods]` impl blocks",
//!   PyO3 #3491), and without the `multiple-pymethods` feature a class has one such
//!   block. So the callback emits the whole `#[pymethods] impl` block, hand-written methods
//!   included (pass them as the extra tokens, or write them in the callback).
//! - napi 3 `#[napi] impl` likewise: one per class (a second one from a macro fails with
//!   `__napi_impl_helper__… redefined`, napi-rs #949), after the `#[napi]` struct.
//! - UniFFI 0.32 `#[uniffi::export] impl`: several blocks per object are fine, so a
//!   binding can keep hand-written methods in a block of their own; `#[cfg]` inside an
//!   exported block is not honoured (gate the whole block instead).
//! - `extern "C"` functions: any number of items; emit `#[unsafe(no_mangle)]` (or
//!   `#[unsafe(export_name = concat!("necid_", stringify!($name)))]`) with each. cbindgen
//!   0.29 reads source text and does not expand macros, so the C binding runs it over the
//!   expanded crate (`scripts/c-header.sh`: rustc's `-Zunpretty=expanded`; `bindings/c`
//!   is the worked example).
//!
//! In every case emit the `self` parameter and the body that uses `self` from the same
//! macro (`self` is hygienic).
//!
//! ```
//! // A callback that only counts the operations and collects their names.
//! macro_rules! names {
//!     ($( $(#[doc = $doc:literal])* $asyncness:ident fn $name:ident ($($args:tt)*)
//!         -> [$($ret:tt)*] = $route:tt ; )*) => {
//!         [$(stringify!($name)),*]
//!     };
//! }
//! let names = necid::for_each_operation!(names);
//! assert_eq!(names.len(), necid::operations::OPERATIONS.len());
//! assert_eq!(names[0], "list_subjects");
//! ```

/// One operation of [`crate::Client`], as listed by [`OPERATIONS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    /// The method name in Rust, Python and C (`necid_<name>`); camelCase in Node, Kotlin
    /// and Swift.
    pub name: &'static str,
    /// HTTP method and path of the request it sends (`{…}` are parameters), or `None` for
    /// operations that send no single request of their own (signing, polling).
    pub route: Option<(&'static str, &'static str)>,
    /// The arguments' names, in order (struct arguments as one name).
    pub args: &'static [&'static str],
    /// Whether the core method is async (returns a future) rather than plain.
    pub is_async: bool,
    /// The documentation of the table entry.
    pub doc: &'static str,
}

/// The operation table (see the [module documentation](crate::operations) for the entry
/// format and how a binding expands it): invokes `$callback! { [TOKENS…] ENTRIES }` once
/// with every operation, in the order of the API documents.
#[macro_export]
macro_rules! for_each_operation {
    ($callback:ident $(, $($extra:tt)*)?) => {
        $callback! {
            $($($extra)*)?

            /// One page of subject/event rows (`GET /subjects`; one row per event, deleted
            /// rows included). `length` 1-1000 (default 1000, the reference's); `dir` `"asc"`
            /// or `"desc"`. An empty gallery or a start past the end is an empty page.
            async fn list_subjects(
                start: [u32] = 0,
                length: [u32] = 1000,
                dir: [SortDirection] = "asc"
            ) -> [SubjectPage] = (GET "/v1.1/subjects");

            /// Register a new subject from one face (`POST /subjects`).
            async fn register_subject(
                face: [impl Into<Image>],
                tags: [&[String]]
            ) -> [RegisteredFace] = (POST "/v1.1/subjects");

            /// Replace a subject's face, tags or both (`PUT /subjects/{id}`): no face keeps
            /// its events; no tags (none/null/NULL) keeps its tags, an empty list clears
            /// them. At least one of the two.
            async fn update_subject(
                subject_id: [&str],
                face: [Option<Image>],
                tags: [Option<&[String]>]
            ) -> [RegisteredFace] = (PUT "/v1.1/subjects/{id}");

            /// Unregister a subject and its events (`DELETE /subjects/{id}`).
            async fn unregister_subject(subject_id: [&str]) -> [()]
                = (DELETE "/v1.1/subjects/{id}");

            /// A subject's events (`GET /subjects/{id}/events`).
            async fn list_events(subject_id: [&str]) -> [EventList]
                = (GET "/v1.1/subjects/{id}/events");

            /// Add a face to a subject (`POST /subjects/{id}/events`).
            async fn register_event(
                subject_id: [&str],
                face: [impl Into<Image>],
                tags: [&[String]]
            ) -> [RegisteredFace] = (POST "/v1.1/subjects/{id}/events");

            /// Replace one event's face, tags or both (`PUT /subjects/{id}/events/{eventId}`),
            /// like `update_subject`.
            async fn update_event(
                subject_id: [&str],
                event_id: [&str],
                face: [Option<Image>],
                tags: [Option<&[String]>]
            ) -> [RegisteredFace] = (PUT "/v1.1/subjects/{id}/events/{event_id}");

            /// Remove one event (`DELETE /subjects/{id}/events/{eventId}`).
            async fn unregister_event(subject_id: [&str], event_id: [&str]) -> [()]
                = (DELETE "/v1.1/subjects/{id}/events/{event_id}");

            /// Attributes of up to `limit` (1-20) faces in `image` (`POST /face/extract`).
            async fn extract_faces(
                image: [impl Into<Image>],
                limit: [Option<u32>]
            ) -> [Vec<FaceAttributes>] = (POST "/v1.1/face/extract");

            /// Search the gallery for `probe` (`POST /face/search`): `threshold` 0-9999
            /// (service default 7000), `limit` 1-50 (default 10), only subjects with any of
            /// `tags`. No candidates is an empty result, not an error.
            async fn search(
                request: [SearchRequest] {
                    probe: [Image],
                    threshold: [Option<u32>],
                    limit: [Option<u32>],
                    tags: [Vec<String>]
                }
            ) -> [SearchResult] = (POST "/v1.1/face/search");

            /// Verify `probe` against a registered subject (`POST /face/verify`). A
            /// non-match is `verified` false, not an error.
            async fn verify_subject(
                subject_id: [&str],
                probe: [impl Into<Image>]
            ) -> [Verification] = (POST "/v1.1/face/verify");

            /// Verify two faces against each other (`POST /face/verify`).
            async fn verify_faces(
                face: [impl Into<Image>],
                probe: [impl Into<Image>]
            ) -> [FaceVerification] = (POST "/v1.1/face/verify");

            /// The gallery's tags (`GET /tags`).
            async fn list_tags() -> [Vec<Tag>] = (GET "/v1.1/tags");

            /// Create a tag (`POST /tags/{name}`).
            async fn create_tag(name: [&str]) -> [()] = (POST "/v1.1/tags/{name}");

            /// Rename a tag (`PUT /tags/{old}`).
            async fn rename_tag(old_name: [&str], new_name: [&str]) -> [()]
                = (PUT "/v1.1/tags/{name}");

            /// Delete a tag (`DELETE /tags/{name}`); subjects keep it.
            async fn delete_tag(name: [&str]) -> [()] = (DELETE "/v1.1/tags/{name}");

            /// Start a bulk registration of files in the gallery's bucket
            /// (`POST /jobs/bulkregister`); returns the batch id.
            async fn bulk_register(registrations: [&[BulkRegistration]]) -> [String]
                = (POST "/v1.1/jobs/bulkregister");

            /// One page of a batch's progress (`GET /jobs/bulkregister/{batchId}`).
            async fn bulk_register_progress(batch_id: [&str], paging_id: [Option<&str>])
                -> [BulkProgressPage] = (GET "/v1.1/jobs/bulkregister/{batch_id}");

            /// Poll a batch until every record is processed and return all records; after
            /// each poll `on_progress` gets the progress so far. Polls back off ×1.5 from
            /// `poll_interval` to `max_poll_interval`; `TimedOut` after `timeout` (seconds).
            async fn wait_for_bulk_register(
                batch_id: [&str],
                options: [WaitOptions] {
                    poll_interval: [Duration] = 1.0,
                    max_poll_interval: [Duration] = 15.0,
                    timeout: [Duration] = 1800.0
                },
                on_progress: [impl FnMut(&BulkProgress) + Send + 'static]
            ) -> [BulkProgress] = ();

            /// `GET /health` (signed when credentials are configured).
            async fn health() -> [Health] = (GET "/v1.1/health");

            /// Sign a custom request now and return the headers to add: `x-api-key` (when
            /// configured and not in `headers`), `x-amz-date`, `x-amz-security-token` (with
            /// a session token) and `authorization`. `url` is absolute and percent-encoded
            /// as sent; every header in `headers` is signed; `body` is the exact body. No
            /// I/O.
            sync fn sign_request(
                method: [&str],
                url: [&str],
                headers: [&[(String, String)]],
                body: [&[u8]]
            ) -> [Vec<(String, String)>] = ();

            /// Tenant API: every gallery (`GET /api/galleries`).
            async fn list_galleries() -> [Vec<Gallery>] = (GET "/api/galleries");

            /// Tenant API: one gallery with its applications (`GET /api/galleries/{id}`).
            async fn get_gallery(gallery_id: [&str]) -> [GalleryDetails]
                = (GET "/api/galleries/{id}");

            /// Tenant API: create a gallery (and an application; the result carries its API
            /// key) (`POST /api/galleries`).
            async fn create_gallery(
                gallery: [NewGallery] {
                    name: [String],
                    description: [Option<String>],
                    face_minimum_quality_score: [Option<f64>],
                    size: [Option<u64>]
                }
            ) -> [Gallery] = (POST "/api/galleries");

            /// Tenant API: change a gallery; only the fields given are sent
            /// (`PATCH /api/galleries/{id}`).
            async fn update_gallery(
                gallery_id: [&str],
                update: [GalleryUpdate] {
                    name: [Option<String>],
                    description: [Option<String>],
                    size: [Option<u64>]
                }
            ) -> [Gallery] = (PATCH "/api/galleries/{id}");

            /// Tenant API: delete a gallery and its applications
            /// (`DELETE /api/galleries/{id}`).
            async fn delete_gallery(gallery_id: [&str]) -> [()]
                = (DELETE "/api/galleries/{id}");

            /// Tenant API: every application (`GET /api/applications`).
            async fn list_applications() -> [Vec<Application>] = (GET "/api/applications");

            /// Tenant API: one application (`GET /api/applications/{id}`).
            async fn get_application(application_id: [&str]) -> [Application]
                = (GET "/api/applications/{id}");

            /// Tenant API: a new application (API key) for an existing gallery
            /// (`POST /api/applications`).
            async fn create_application(
                application: [NewApplication] {
                    name: [String],
                    gallery_id: [String],
                    description: [Option<String>],
                    face_minimum_quality_score: [Option<f64>]
                }
            ) -> [Application] = (POST "/api/applications");

            /// Tenant API: change an application; only the fields given are sent
            /// (`PATCH /api/applications/{id}`).
            async fn update_application(
                application_id: [&str],
                update: [ApplicationUpdate] {
                    name: [Option<String>],
                    description: [Option<String>],
                    face_minimum_quality_score: [Option<f64>]
                }
            ) -> [Application] = (PATCH "/api/applications/{id}");

            /// Tenant API: delete an application (`DELETE /api/applications/{id}`).
            async fn delete_application(application_id: [&str]) -> [()]
                = (DELETE "/api/applications/{id}");
        }
    };
}

/// The table as data. Also checks, at compile time, that every struct argument lists
/// exactly the struct's fields with their types.
macro_rules! operation_list {
    ($(
        $(#[doc = $doc:literal])*
        $asyncness:ident fn $name:ident (
            $( $arg:ident : [$($ty:tt)*]
               $( { $( $field:ident : [$($fty:tt)*] $(= $fdefault:literal)? ),* } )?
               $( = $default:literal )?
            ),*
        ) -> [$($ret:tt)*] = $route:tt ;
    )*) => {
        /// Every operation, in the order of the API documents.
        pub const OPERATIONS: &[Operation] = &[$(
            Operation {
                name: stringify!($name),
                route: operation_list!(@route $route),
                args: &[$(stringify!($arg)),*],
                is_async: operation_list!(@is_async $asyncness),
                doc: concat!($($doc, "\n"),*),
            }
        ),*];

        // Every field of each struct argument, with its type, and no other (exhaustive
        // patterns): a binding that flattens the struct can trust the list.
        #[allow(dead_code, unused_imports, unused_variables, clippy::all)]
        mod struct_fields {$(
            pub mod $name {
                use crate::*;
                use std::time::Duration;
                $(operation_list! {
                    @fields $arg [$($ty)*] $({ $($field: [$($fty)*]),* })?
                })*
            }
        )*}
    };
    (@fields $arg:ident [$($ty:tt)*]) => {};
    (@fields $arg:ident [$($ty:tt)*] { $($field:ident: [$($fty:tt)*]),* }) => {
        pub fn $arg(value: $($ty)*) {
            let $($ty)* { $($field),* } = value;
            $( let _: $($fty)* = $field; )*
        }
    };
    (@route ()) => { None };
    (@route ($method:ident $path:literal)) => { Some((stringify!($method), $path)) };
    (@is_async async) => { true };
    (@is_async sync) => { false };
}

crate::for_each_operation!(operation_list);
