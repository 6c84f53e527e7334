//! Issue 16's spec gaps, core client ↔ emulator over loopback: tags changed and cleared
//! without a new face, rename tag against a deployment of either reference revision, and
//! the raw `attributesJson` of a bulk record that does not decode.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use necid::{
    BulkRegistration, ErrorKind, RenameTagForm, SearchRequest, SortDirection, WaitOptions,
};
use necid_e2e::{Emulator, faces};
use necid_server::{RenameTagRoutes, ServerConfig};

fn tags(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// Subject ids the search finds with `tags` (none: any subject).
async fn found(c: &necid::Client, tags: &[&str]) -> Vec<String> {
    c.search(SearchRequest::new(faces::OBAMA).tags(tags.iter().copied()))
        .await
        .unwrap()
        .candidates
        .into_iter()
        .map(|c| c.subject_id)
        .collect()
}

#[tokio::test]
async fn tags_change_and_clear_without_a_new_face() {
    let emu = Emulator::start().await;
    let c = emu.client();
    c.create_tag("staff").await.unwrap();
    c.create_tag("visitor").await.unwrap();
    let reg = c
        .register_subject(faces::OBAMA, &tags(&["staff"]))
        .await
        .unwrap();
    let id = reg.subject_id.clone();
    let event = reg.event_id.clone().unwrap();

    // Tags alone: the face (and event) stay, the tags are replaced.
    let up = c
        .update_subject(&id, None, Some(&tags(&["visitor"])))
        .await
        .unwrap();
    assert_eq!(up.subject_id, id);
    assert_eq!(up.event_id.as_deref(), Some(event.as_str()));
    assert!(up.attributes.is_some(), "the stored face's attributes");
    assert_eq!(found(&c, &["visitor"]).await, std::slice::from_ref(&id));
    assert!(found(&c, &["staff"]).await.is_empty());

    // A new face without tags keeps the tags.
    c.update_subject(&id, Some(faces::OBAMA.into()), None)
        .await
        .unwrap();
    assert_eq!(found(&c, &["visitor"]).await, std::slice::from_ref(&id));

    // An empty list clears them; the subject is still found without a tag filter.
    c.update_subject(&id, None, Some(&[])).await.unwrap();
    assert!(found(&c, &["visitor"]).await.is_empty());
    assert_eq!(found(&c, &[]).await, std::slice::from_ref(&id));

    // The same on one event.
    let event = c.list_events(&id).await.unwrap().events[0].event_id.clone();
    c.update_event(&id, &event, None, Some(&tags(&["staff"])))
        .await
        .unwrap();
    assert_eq!(found(&c, &["staff"]).await, std::slice::from_ref(&id));
    c.update_event(&id, &event, None, Some(&[])).await.unwrap();
    assert!(found(&c, &["staff"]).await.is_empty());

    // Neither is refused before sending; an unknown tag by the service.
    let e = c.update_subject(&id, None, None).await.unwrap_err();
    assert_eq!(
        (e.kind(), e.field()),
        (ErrorKind::InvalidInput, Some("face"))
    );
    let e = c
        .update_subject(&id, None, Some(&tags(&["nope"])))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidRequest);
    emu.stop().await;
}

async fn tag_names(c: &necid::Client) -> Vec<String> {
    let mut v: Vec<String> = c
        .list_tags()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn rename_tag_against_either_reference_revision() {
    for routes in [
        RenameTagRoutes::Both,
        RenameTagRoutes::Body,
        RenameTagRoutes::Path,
    ] {
        let emu = Emulator::start_with(ServerConfig {
            rename_tag_routes: routes,
            ..Emulator::deterministic()
        })
        .await;
        // The default (auto) works against every deployment, twice (the second rename
        // goes straight to the form that worked).
        let c = emu.client();
        c.create_tag("staff").await.unwrap();
        c.rename_tag("staff", "employees").await.unwrap();
        c.rename_tag("employees", "team a").await.unwrap();
        assert_eq!(tag_names(&c).await, ["team a"], "{routes:?}");
        // A fixed form works only where it is served.
        for (form, served) in [
            (RenameTagForm::Body, routes != RenameTagRoutes::Path),
            (RenameTagForm::Path, routes != RenameTagRoutes::Body),
        ] {
            let fixed = emu.client_with(emu.config().rename_tag_form(form));
            let r = fixed.rename_tag("team a", "team b").await;
            if served {
                r.unwrap();
                fixed.rename_tag("team b", "team a").await.unwrap();
            } else {
                let e = r.unwrap_err();
                assert_eq!(e.status(), Some(403), "{routes:?} {form:?}: {e}");
            }
            assert_eq!(tag_names(&c).await, ["team a"], "{routes:?} {form:?}");
        }
        // Renaming a tag that does not exist is NotFound in every case.
        let e = c.rename_tag("ghost", "spirit").await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound, "{routes:?}: {e}");
        emu.stop().await;
    }
}

/// Registers the bucket's `obama.jpg` in one bulk job and waits for it to finish.
async fn register_one_in_bulk(c: &necid::Client) -> necid::BulkProgress {
    let batch = c
        .bulk_register(&[BulkRegistration::new("obama.jpg", Vec::<String>::new())])
        .await
        .unwrap();
    c.wait_for_bulk_register(
        &batch,
        WaitOptions {
            poll_interval: Duration::from_millis(20),
            max_poll_interval: Duration::from_millis(100),
            timeout: Duration::from_secs(60),
        },
        |_| {},
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn bulk_progress_keeps_an_unreadable_attributes_json() {
    let bucket = tempfile::tempdir().unwrap();
    let dir = bucket.path().join("default");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("obama.jpg"), faces::OBAMA).unwrap();
    // The reference example's placeholder, put into the emulator's real answers.
    let faults = necid_server::faults::FaultPlan::from_str_format(
        r#"{"rules": [{"method": "GET", "path": "/v1.1/jobs/bulkregister/**",
            "fault": "rewrite", "set": {"/processed/*/attributesJson": "..."}}]}"#,
        true,
    )
    .unwrap();
    let emu = Emulator::start_with(ServerConfig {
        bucket_dir: Some(bucket.path().to_path_buf()),
        faults,
        ..Emulator::deterministic()
    })
    .await;
    let c = emu.client();
    let done = register_one_in_bulk(&c).await;
    let rec = &done.records[0];
    assert!(rec.succeeded(), "{rec:?}");
    assert!(rec.attributes.is_none());
    assert_eq!(rec.attributes_json.as_deref(), Some("..."));

    emu.stop().await;

    // Without the rule the attributes decode and no raw text is kept.
    let emu = Emulator::start_with(ServerConfig {
        bucket_dir: Some(bucket.path().to_path_buf()),
        ..Emulator::deterministic()
    })
    .await;
    let c = emu.client();
    let done = register_one_in_bulk(&c).await;
    assert!(done.records[0].attributes.is_some());
    assert_eq!(done.records[0].attributes_json, None);
    // And list subjects pages by the reference's default length.
    let page = c
        .list_subjects(0, necid::validate::LIST_LENGTH_DEFAULT, SortDirection::Asc)
        .await
        .unwrap();
    assert_eq!(page.subjects.len(), 1);
    emu.stop().await;
}
