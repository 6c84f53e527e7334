//! Authentication failures as the client sees them, tenant galleries and their isolation,
//! and persistence of the SQLite store across a restart.

use necid::{
    ApplicationUpdate, ErrorKind, GalleryUpdate, NewApplication, NewGallery, SearchRequest,
    SortDirection,
};
use necid_e2e::{Emulator, faces};
use necid_server::{ServerConfig, Storage};

#[tokio::test]
async fn wrong_credentials_are_auth_errors_with_the_service_message() {
    let emu = Emulator::start().await;

    let wrong_secret = emu.client_with(emu.config().secret_access_key("not-the-secret"));
    let err = wrong_secret.list_tags().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert_eq!(err.status(), Some(403));
    assert!(
        err.message().contains("signature"),
        "message should quote the service: {err}"
    );
    assert!(
        !err.to_string().contains("not-the-secret"),
        "a secret leaked into an error: {err}"
    );

    let unknown_key = emu.client_with(emu.config().access_key_id("AKIDUNKNOWN"));
    assert_eq!(
        unknown_key.list_tags().await.unwrap_err().kind(),
        ErrorKind::Auth
    );

    let wrong_api_key = emu.client_for_api_key("no-such-api-key");
    let err = wrong_api_key.list_tags().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert_eq!(err.message(), "Forbidden");

    // And the right ones still work afterwards.
    assert!(emu.client().list_tags().await.unwrap().is_empty());
    emu.stop().await;
}

#[tokio::test]
async fn galleries_and_applications_lifecycle() {
    let emu = Emulator::start().await;
    let c = emu.client();
    let created = c
        .create_gallery(NewGallery {
            name: "Y10Students".into(),
            description: Some("Year 10 Students".into()),
            face_minimum_quality_score: Some(0.5),
            size: Some(1000),
        })
        .await
        .unwrap();
    assert_eq!(created.name, "Y10Students");
    let gallery_key = created
        .api_key
        .clone()
        .expect("a new gallery comes with an API key");

    let listed = c.list_galleries().await.unwrap();
    assert!(listed.iter().any(|g| g.id == created.id));
    let details = c.get_gallery(&created.id).await.unwrap();
    assert_eq!(details.gallery.id, created.id);
    assert!(
        details
            .applications
            .iter()
            .any(|a| a.api_key.as_deref() == Some(gallery_key.as_str()))
    );

    let updated = c
        .update_gallery(
            &created.id,
            GalleryUpdate {
                name: None,
                description: Some("Year 10".into()),
                size: Some(2000),
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.size, Some(2000));

    // A second application for the same gallery: its own key, same gallery.
    let app = c
        .create_application(NewApplication {
            name: "Door".into(),
            description: Some("Building access".into()),
            face_minimum_quality_score: Some(0.6),
            gallery_id: created.id.clone(),
        })
        .await
        .unwrap();
    let app_key = app.api_key.clone().expect("an application has an API key");
    assert_ne!(app_key, gallery_key);
    assert_eq!(c.get_application(&app.id).await.unwrap().id, app.id);
    assert!(
        c.list_applications()
            .await
            .unwrap()
            .iter()
            .any(|a| a.id == app.id)
    );
    let renamed = c
        .update_application(
            &app.id,
            ApplicationUpdate {
                name: Some("Front door".into()),
                description: None,
                face_minimum_quality_score: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(renamed.name, "Front door");

    // Both keys reach the same gallery.
    let via_gallery_key = emu.client_for_api_key(&gallery_key);
    let via_app_key = emu.client_for_api_key(&app_key);
    let reg = via_gallery_key
        .register_subject(faces::OBAMA, &[])
        .await
        .unwrap();
    let hit = via_app_key
        .search(SearchRequest::new(faces::OBAMA))
        .await
        .unwrap();
    assert_eq!(hit.candidates[0].subject_id, reg.subject_id);

    c.delete_application(&app.id).await.unwrap();
    assert_eq!(
        via_app_key.list_tags().await.unwrap_err().kind(),
        ErrorKind::Auth,
        "a deleted application's key no longer works"
    );
    c.delete_gallery(&created.id).await.unwrap();
    assert_eq!(
        c.get_gallery(&created.id).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        via_gallery_key.list_tags().await.unwrap_err().kind(),
        ErrorKind::Auth
    );
    emu.stop().await;
}

#[tokio::test]
async fn galleries_are_isolated() {
    let emu = Emulator::start().await;
    let admin = emu.client();
    let mut keys = Vec::new();
    for name in ["GalleryA", "GalleryB"] {
        let g = admin
            .create_gallery(NewGallery {
                name: name.into(),
                description: None,
                face_minimum_quality_score: None,
                size: None,
            })
            .await
            .unwrap();
        keys.push(g.api_key.unwrap());
    }
    let a = emu.client_for_api_key(&keys[0]);
    let b = emu.client_for_api_key(&keys[1]);

    a.create_tag("shared-name").await.unwrap();
    b.create_tag("shared-name").await.unwrap(); // no Duplicate across galleries
    let in_a = a.register_subject(faces::OBAMA, &[]).await.unwrap();

    // B sees nothing of A.
    assert!(
        b.search(SearchRequest::new(faces::OBAMA).threshold(0))
            .await
            .unwrap()
            .candidates
            .is_empty()
    );
    assert_eq!(
        b.list_subjects(0, 1000, SortDirection::Asc)
            .await
            .unwrap()
            .total,
        0
    );
    let v = b
        .verify_subject(&in_a.subject_id, faces::OBAMA)
        .await
        .unwrap();
    assert!(!v.verified);
    assert_eq!(
        b.unregister_subject(&in_a.subject_id)
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        b.list_events(&in_a.subject_id).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    // Nor does the default gallery.
    assert!(
        emu.client()
            .search(SearchRequest::new(faces::OBAMA))
            .await
            .unwrap()
            .candidates
            .is_empty()
    );
    // A still has its subject.
    assert_eq!(
        a.list_subjects(0, 1000, SortDirection::Asc)
            .await
            .unwrap()
            .total,
        1
    );
    emu.stop().await;
}

#[tokio::test]
async fn sqlite_store_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("emulator.db");
    let config = || ServerConfig {
        storage: Storage::Sqlite(db.clone()),
        ..Emulator::deterministic()
    };

    let emu = Emulator::start_with(config()).await;
    let c = emu.client();
    c.create_tag("kept").await.unwrap();
    let reg = c
        .register_subject(faces::BIDEN, &["kept".to_string()])
        .await
        .unwrap();
    let gallery = c
        .create_gallery(NewGallery {
            name: "Persistent".into(),
            description: None,
            face_minimum_quality_score: None,
            size: None,
        })
        .await
        .unwrap();
    emu.stop().await;

    let emu = Emulator::start_with(config()).await;
    let c = emu.client();
    let tags: Vec<String> = c
        .list_tags()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(tags, ["kept"]);
    let hit = c
        .search(SearchRequest::new(faces::BIDEN).tags(["kept"]))
        .await
        .unwrap();
    assert_eq!(hit.candidates.len(), 1);
    assert_eq!(hit.candidates[0].subject_id, reg.subject_id);
    // The gallery and its API key survived too.
    let key = gallery.api_key.unwrap();
    assert!(
        emu.client_for_api_key(&key)
            .list_tags()
            .await
            .unwrap()
            .is_empty()
    );
    emu.stop().await;
}
