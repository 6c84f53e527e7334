//! Every biometric operation, core client ↔ emulator over loopback.

use std::time::Duration;

use futures_util::StreamExt;
use necid::{BulkRegistration, ErrorKind, SearchRequest, SortDirection, WaitOptions};
use necid_e2e::{Emulator, faces};

fn tags(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn health_answers_without_credentials() {
    let emu = Emulator::start().await;
    let anonymous = necid::Client::new(
        necid::Config::builder()
            .endpoint(emu.server.endpoint())
            .build()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(anonymous.health().await.unwrap().status, "OK");
    assert!(emu.client().health().await.unwrap().is_ok());
    emu.stop().await;
}

#[tokio::test]
async fn tags_create_list_rename_delete() {
    let emu = Emulator::start().await;
    let c = emu.client();
    assert!(c.list_tags().await.unwrap().is_empty());
    c.create_tag("staff").await.unwrap();
    c.create_tag("visitor pass").await.unwrap(); // a space: percent-encoded and signed
    let dup = c.create_tag("staff").await.unwrap_err();
    assert_eq!(dup.kind(), ErrorKind::Duplicate);
    assert_eq!(dup.error_code(), Some(1002));
    assert_eq!(dup.status(), Some(400));

    let mut names: Vec<String> = c
        .list_tags()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    names.sort();
    assert_eq!(names, ["staff", "visitor pass"]);

    c.rename_tag("visitor pass", "guest").await.unwrap();
    c.delete_tag("staff").await.unwrap();
    let names: Vec<String> = c
        .list_tags()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(names, ["guest"]);

    // Validation happens before sending.
    let empty = c.create_tag("").await.unwrap_err();
    assert_eq!(empty.kind(), ErrorKind::InvalidInput);
    assert_eq!(empty.status(), None);
    emu.stop().await;
}

#[tokio::test]
async fn subjects_and_events_lifecycle() {
    let emu = Emulator::start().await;
    let c = emu.client();
    c.create_tag("staff").await.unwrap();

    let reg = c
        .register_subject(faces::OBAMA, &tags(&["staff"]))
        .await
        .unwrap();
    assert!(!reg.subject_id.is_empty());
    let first_event = reg.event_id.clone().expect("event id");
    let attrs = reg.attributes.expect("attributes");
    let area = attrs.face_area.expect("face area");
    assert!(area.right > area.left && area.bottom > area.top);
    assert!(attrs.face_quality_score.is_some());

    // A tag that does not exist is refused by the service.
    let bad = c
        .register_subject(faces::BIDEN, &tags(&["no-such-tag"]))
        .await
        .unwrap_err();
    assert_eq!(bad.kind(), ErrorKind::InvalidRequest);
    assert_eq!(bad.error_code(), Some(1001));

    // Events: add one, update it, list, delete it.
    let ev = c
        .register_event(&reg.subject_id, faces::OBAMA2, &[])
        .await
        .unwrap();
    assert_eq!(ev.subject_id, reg.subject_id);
    let second_event = ev.event_id.clone().expect("event id");
    assert_ne!(second_event, first_event);
    let events = c.list_events(&reg.subject_id).await.unwrap();
    let mut ids: Vec<String> = events.events.iter().map(|e| e.event_id.clone()).collect();
    ids.sort();
    let mut expected = vec![first_event.clone(), second_event.clone()];
    expected.sort();
    assert_eq!(ids, expected);

    let updated = c
        .update_event(
            &reg.subject_id,
            &second_event,
            Some(faces::OBAMA3.into()),
            Some(&tags(&["staff"])),
        )
        .await
        .unwrap();
    assert_eq!(updated.subject_id, reg.subject_id);
    // The probe that now matches is the updated event's image.
    let v = c
        .verify_subject(&reg.subject_id, faces::OBAMA3)
        .await
        .unwrap();
    assert!(v.verified, "{v:?}");

    c.unregister_event(&reg.subject_id, &second_event)
        .await
        .unwrap();
    let events = c.list_events(&reg.subject_id).await.unwrap();
    assert_eq!(events.events.len(), 1);

    // Update the subject itself, then unregister it.
    let up = c
        .update_subject(&reg.subject_id, Some(faces::ASTRONAUT.into()), None)
        .await
        .unwrap();
    assert_eq!(up.subject_id, reg.subject_id);
    c.unregister_subject(&reg.subject_id).await.unwrap();
    let gone = c.unregister_subject(&reg.subject_id).await.unwrap_err();
    assert_eq!(gone.kind(), ErrorKind::NotFound);
    assert_eq!(gone.status(), Some(404));
    let gone = c
        .update_subject(&reg.subject_id, Some(faces::OBAMA.into()), None)
        .await
        .unwrap_err();
    assert_eq!(gone.kind(), ErrorKind::NotFound);
    emu.stop().await;
}

#[tokio::test]
async fn search_verify_and_extract() {
    let emu = Emulator::start().await;
    let c = emu.client();
    c.create_tag("staff").await.unwrap();
    c.create_tag("visitor").await.unwrap();
    let obama = c
        .register_subject(faces::OBAMA, &tags(&["staff"]))
        .await
        .unwrap();
    let biden = c
        .register_subject(faces::BIDEN, &tags(&["visitor"]))
        .await
        .unwrap();

    // The deterministic engine matches identical images only.
    let hit = c.search(SearchRequest::new(faces::OBAMA)).await.unwrap();
    assert_eq!(hit.candidates.len(), 1);
    assert_eq!(hit.candidates[0].subject_id, obama.subject_id);
    assert!(hit.candidates[0].score >= 7000);
    assert!(hit.attributes.is_some());

    // No candidate is an empty list, not an error.
    let none = c
        .search(SearchRequest::new(faces::ASTRONAUT))
        .await
        .unwrap();
    assert!(none.candidates.is_empty());

    // Threshold 0 returns everyone, best first; tags filter (OR).
    let all = c
        .search(SearchRequest::new(faces::BIDEN).threshold(0).limit(50))
        .await
        .unwrap();
    assert_eq!(all.candidates.len(), 2);
    assert_eq!(all.candidates[0].subject_id, biden.subject_id);
    assert!(all.candidates[0].score >= all.candidates[1].score);
    let staff = c
        .search(
            SearchRequest::new(faces::BIDEN)
                .threshold(0)
                .tags(["staff"]),
        )
        .await
        .unwrap();
    assert_eq!(staff.candidates.len(), 1);
    assert_eq!(staff.candidates[0].subject_id, obama.subject_id);
    let either = c
        .search(
            SearchRequest::new(faces::BIDEN)
                .threshold(0)
                .tags(["staff", "visitor"]),
        )
        .await
        .unwrap();
    assert_eq!(either.candidates.len(), 2);
    let limited = c
        .search(SearchRequest::new(faces::BIDEN).threshold(0).limit(1))
        .await
        .unwrap();
    assert_eq!(limited.candidates.len(), 1);

    // Out-of-range arguments never leave the client.
    for bad in [
        SearchRequest::new(faces::BIDEN).threshold(10_000),
        SearchRequest::new(faces::BIDEN).limit(0),
        SearchRequest::new(faces::BIDEN).limit(51),
    ] {
        assert_eq!(
            c.search(bad).await.unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
    }

    // Verify against a subject.
    let yes = c
        .verify_subject(&obama.subject_id, faces::OBAMA)
        .await
        .unwrap();
    assert!(yes.verified);
    assert!(yes.score.unwrap() >= 7000);
    let no = c
        .verify_subject(&obama.subject_id, faces::BIDEN)
        .await
        .unwrap();
    assert!(!no.verified);

    // Face to face.
    let same = c.verify_faces(faces::OBAMA, faces::OBAMA).await.unwrap();
    assert!(same.score.unwrap() >= 9000);
    assert!(same.verified);
    let different = c
        .verify_faces(faces::OBAMA, faces::ASTRONAUT)
        .await
        .unwrap();
    assert!(different.score.unwrap() < 7000);
    assert!(
        !different.verified,
        "verified means score >= 7000: {different:?}"
    );

    // Extract.
    let found = c.extract_faces(faces::ASTRONAUT, Some(5)).await.unwrap();
    assert!(!found.is_empty() && found.len() <= 5);
    assert!(found[0].face_area.is_some());
    assert_eq!(
        c.extract_faces(faces::ASTRONAUT, Some(21))
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );

    // Not an image: refused before sending.
    let err = c
        .register_subject(&b"definitely not an image"[..], &[])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(
        c.register_subject(Vec::new(), &[])
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );
    emu.stop().await;
}

#[tokio::test]
async fn list_subjects_pages_through_everything() {
    let emu = Emulator::start().await;
    let c = emu.client();
    let mut registered = Vec::new();
    for img in [
        faces::OBAMA,
        faces::OBAMA2,
        faces::OBAMA3,
        faces::BIDEN,
        faces::ASTRONAUT,
    ] {
        registered.push(c.register_subject(img, &[]).await.unwrap().subject_id);
    }
    let page = c.list_subjects(0, 2, SortDirection::Asc).await.unwrap();
    assert_eq!(page.subjects.len(), 2);
    assert_eq!(page.total, 5);
    assert!(page.subjects.iter().all(|s| s.status == "A"));

    let mut seen = Vec::new();
    let mut pages = c.subjects_paginator(2, SortDirection::Asc);
    let mut count = 0;
    while let Some(page) = pages.next().await {
        count += 1;
        seen.extend(page.unwrap().subjects.into_iter().map(|s| s.subject_id));
    }
    assert_eq!(count, 3);
    seen.sort();
    registered.sort();
    assert_eq!(seen, registered);

    let desc = c.list_subjects(0, 1000, SortDirection::Desc).await.unwrap();
    assert_eq!(desc.subjects.len(), 5);
    assert_eq!(
        c.list_subjects(0, 1001, SortDirection::Asc)
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );

    // A deleted subject stays listed with status D.
    c.unregister_subject(&registered[0]).await.unwrap();
    let after = c.list_subjects(0, 1000, SortDirection::Asc).await.unwrap();
    assert!(
        after
            .subjects
            .iter()
            .any(|s| s.subject_id == registered[0] && s.status == "D"),
        "{after:?}"
    );
    emu.stop().await;
}

#[tokio::test]
async fn bulk_register_runs_to_completion() {
    let bucket = tempfile::tempdir().unwrap();
    let gallery_dir = bucket.path().join("default");
    std::fs::create_dir_all(&gallery_dir).unwrap();
    std::fs::write(gallery_dir.join("obama.jpg"), faces::OBAMA).unwrap();
    std::fs::write(gallery_dir.join("biden.jpg"), faces::BIDEN).unwrap();
    std::fs::write(gallery_dir.join("notes.txt"), b"not an image").unwrap();
    let emu = Emulator::start_with(necid_server::ServerConfig {
        bucket_dir: Some(bucket.path().to_path_buf()),
        ..Emulator::deterministic()
    })
    .await;
    let c = emu.client();
    c.create_tag("bulk").await.unwrap();
    let regs = vec![
        BulkRegistration {
            filename: "obama.jpg".into(),
            tags: vec!["bulk".into()],
        },
        BulkRegistration {
            filename: "biden.jpg".into(),
            tags: vec![],
        },
        BulkRegistration {
            filename: "notes.txt".into(),
            tags: vec![],
        },
        BulkRegistration {
            filename: "missing.jpg".into(),
            tags: vec![],
        },
        BulkRegistration {
            filename: "../escape.jpg".into(),
            tags: vec![],
        },
    ];
    let batch = c.bulk_register(&regs).await.unwrap();
    let batch_id_for_progress = batch.clone();
    let polls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = polls.clone();
    let done = c
        .wait_for_bulk_register(
            &batch,
            WaitOptions {
                poll_interval: Duration::from_millis(20),
                max_poll_interval: Duration::from_millis(200),
                timeout: Duration::from_secs(60),
            },
            move |p| {
                assert_eq!(p.batch_id, batch_id_for_progress);
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            },
        )
        .await
        .unwrap();
    assert!(done.is_done());
    assert!(
        polls.load(std::sync::atomic::Ordering::SeqCst) >= 1,
        "on_progress was called"
    );
    assert_eq!(done.total(), 5);
    assert_eq!(done.succeeded(), 2, "{done:?}");
    assert_eq!(done.failed(), 3, "{done:?}");
    for rec in &done.records {
        if rec.filename == "obama.jpg" || rec.filename == "biden.jpg" {
            assert!(rec.succeeded(), "{rec:?}");
            assert!(rec.subject_id.is_some());
        } else {
            assert!(!rec.succeeded());
            assert!(
                rec.reason.as_deref().is_some_and(|r| !r.is_empty()),
                "{rec:?}"
            );
        }
    }

    // Registered subjects are searchable and carry their tags.
    let hit = c
        .search(SearchRequest::new(faces::OBAMA).tags(["bulk"]))
        .await
        .unwrap();
    assert_eq!(hit.candidates.len(), 1);

    let page = c.bulk_register_progress(&batch, None).await.unwrap();
    assert_eq!(page.batch_id, batch);
    assert_eq!(page.processed.len(), 5);
    assert!(page.last_evaluated_key.as_deref().unwrap_or("").is_empty());
    emu.stop().await;
}
