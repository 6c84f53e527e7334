//! The list of the client's operations: the seed of the one operation table every surface
//! is checked against (`tests/e2e/tests/surfaces.rs` fails when a binding, the blocking
//! client or the emulator lacks one). Bindings do not expand it yet; see CONTRIBUTING.md.

/// One operation of [`crate::Client`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    /// The method name in Rust, Python and C (`necid_<name>`); camelCase in Node, Kotlin
    /// and Swift.
    pub name: &'static str,
    /// HTTP method and path of the request it sends (`{…}` are parameters), or `None` for
    /// operations that send no single request of their own (signing, polling).
    pub route: Option<(&'static str, &'static str)>,
}

const fn op(name: &'static str, method: &'static str, path: &'static str) -> Operation {
    Operation {
        name,
        route: Some((method, path)),
    }
}

/// Every operation, in the order of the API documents.
pub const OPERATIONS: &[Operation] = &[
    op("list_subjects", "GET", "/v1.1/subjects"),
    op("register_subject", "POST", "/v1.1/subjects"),
    op("update_subject", "PUT", "/v1.1/subjects/{id}"),
    op("unregister_subject", "DELETE", "/v1.1/subjects/{id}"),
    op("list_events", "GET", "/v1.1/subjects/{id}/events"),
    op("register_event", "POST", "/v1.1/subjects/{id}/events"),
    op(
        "update_event",
        "PUT",
        "/v1.1/subjects/{id}/events/{event_id}",
    ),
    op(
        "unregister_event",
        "DELETE",
        "/v1.1/subjects/{id}/events/{event_id}",
    ),
    op("extract_faces", "POST", "/v1.1/face/extract"),
    op("search", "POST", "/v1.1/face/search"),
    op("verify_subject", "POST", "/v1.1/face/verify"),
    op("verify_faces", "POST", "/v1.1/face/verify"),
    op("list_tags", "GET", "/v1.1/tags"),
    op("create_tag", "POST", "/v1.1/tags/{name}"),
    op("rename_tag", "PUT", "/v1.1/tags/{name}"),
    op("delete_tag", "DELETE", "/v1.1/tags/{name}"),
    op("bulk_register", "POST", "/v1.1/jobs/bulkregister"),
    op(
        "bulk_register_progress",
        "GET",
        "/v1.1/jobs/bulkregister/{batch_id}",
    ),
    Operation {
        name: "wait_for_bulk_register",
        route: None,
    },
    op("health", "GET", "/v1.1/health"),
    Operation {
        name: "sign_request",
        route: None,
    },
    op("list_galleries", "GET", "/api/galleries"),
    op("get_gallery", "GET", "/api/galleries/{id}"),
    op("create_gallery", "POST", "/api/galleries"),
    op("update_gallery", "PATCH", "/api/galleries/{id}"),
    op("delete_gallery", "DELETE", "/api/galleries/{id}"),
    op("list_applications", "GET", "/api/applications"),
    op("get_application", "GET", "/api/applications/{id}"),
    op("create_application", "POST", "/api/applications"),
    op("update_application", "PATCH", "/api/applications/{id}"),
    op("delete_application", "DELETE", "/api/applications/{id}"),
];
