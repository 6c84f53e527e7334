//! Blocking facade over [`crate::Client`] for synchronous callers (CLI, C, Python sync).
//!
//! Each method runs the async operation on the SDK runtime with `block_on`. Called from
//! inside an async runtime it returns an `InvalidInput` error instead of panicking
//! (blocking a runtime thread would stall it).

use std::time::SystemTime;

use futures_util::StreamExt as _;

use crate::client::{SearchRequest, WaitOptions};
use crate::config::Config;
use crate::error::Result;
use crate::image::Image;
use crate::models::*;
use crate::runtime::block_on;

/// Blocking NEC ID client. Cheap to clone; shares its pool with [`Client::as_async`].
#[derive(Debug, Clone)]
pub struct Client {
    inner: crate::Client,
}

impl From<crate::Client> for Client {
    fn from(inner: crate::Client) -> Self {
        Client { inner }
    }
}

impl Client {
    /// A blocking client for `config`.
    pub fn new(config: Config) -> Result<Client> {
        Ok(Client {
            inner: crate::Client::new(config)?,
        })
    }
    /// `Client::new(Config::from_env()?)`.
    pub fn from_env() -> Result<Client> {
        Client::new(Config::from_env()?)
    }
    /// The async client underneath.
    pub fn as_async(&self) -> &crate::Client {
        &self.inner
    }
    /// The configuration.
    pub fn config(&self) -> &Config {
        self.inner.config()
    }

    /// See [`crate::Client::list_subjects`].
    pub fn list_subjects(
        &self,
        start: u32,
        length: u32,
        dir: SortDirection,
    ) -> Result<SubjectPage> {
        block_on(self.inner.list_subjects(start, length, dir))
    }
    /// Iterator over every page; see [`crate::Client::subjects_paginator`].
    pub fn subjects_paginator(
        &self,
        length: u32,
        dir: SortDirection,
    ) -> impl Iterator<Item = Result<SubjectPage>> + Send + 'static {
        let mut s = self.inner.subjects_paginator(length, dir);
        std::iter::from_fn(move || {
            block_on(async { Ok(s.next().await) })
                .transpose()
                .map(|r| r.and_then(|x| x))
        })
    }
    /// See [`crate::Client::register_subject`].
    pub fn register_subject(
        &self,
        face: impl Into<Image>,
        tags: &[String],
    ) -> Result<RegisteredFace> {
        block_on(self.inner.register_subject(face, tags))
    }
    /// See [`crate::Client::update_subject`].
    pub fn update_subject(
        &self,
        subject_id: &str,
        face: impl Into<Image>,
        tags: &[String],
    ) -> Result<RegisteredFace> {
        block_on(self.inner.update_subject(subject_id, face, tags))
    }
    /// See [`crate::Client::unregister_subject`].
    pub fn unregister_subject(&self, subject_id: &str) -> Result<()> {
        block_on(self.inner.unregister_subject(subject_id))
    }
    /// See [`crate::Client::list_events`].
    pub fn list_events(&self, subject_id: &str) -> Result<EventList> {
        block_on(self.inner.list_events(subject_id))
    }
    /// See [`crate::Client::register_event`].
    pub fn register_event(
        &self,
        subject_id: &str,
        face: impl Into<Image>,
        tags: &[String],
    ) -> Result<RegisteredFace> {
        block_on(self.inner.register_event(subject_id, face, tags))
    }
    /// See [`crate::Client::update_event`].
    pub fn update_event(
        &self,
        subject_id: &str,
        event_id: &str,
        face: impl Into<Image>,
        tags: &[String],
    ) -> Result<RegisteredFace> {
        block_on(self.inner.update_event(subject_id, event_id, face, tags))
    }
    /// See [`crate::Client::unregister_event`].
    pub fn unregister_event(&self, subject_id: &str, event_id: &str) -> Result<()> {
        block_on(self.inner.unregister_event(subject_id, event_id))
    }
    /// See [`crate::Client::extract_faces`].
    pub fn extract_faces(
        &self,
        image: impl Into<Image>,
        limit: Option<u32>,
    ) -> Result<Vec<FaceAttributes>> {
        block_on(self.inner.extract_faces(image, limit))
    }
    /// See [`crate::Client::search`].
    pub fn search(&self, request: SearchRequest) -> Result<SearchResult> {
        block_on(self.inner.search(request))
    }
    /// See [`crate::Client::verify_subject`].
    pub fn verify_subject(
        &self,
        subject_id: &str,
        probe: impl Into<Image>,
    ) -> Result<Verification> {
        block_on(self.inner.verify_subject(subject_id, probe))
    }
    /// See [`crate::Client::verify_faces`].
    pub fn verify_faces(
        &self,
        face: impl Into<Image>,
        probe: impl Into<Image>,
    ) -> Result<FaceVerification> {
        block_on(self.inner.verify_faces(face, probe))
    }
    /// See [`crate::Client::list_tags`].
    pub fn list_tags(&self) -> Result<Vec<Tag>> {
        block_on(self.inner.list_tags())
    }
    /// See [`crate::Client::create_tag`].
    pub fn create_tag(&self, name: &str) -> Result<()> {
        block_on(self.inner.create_tag(name))
    }
    /// See [`crate::Client::rename_tag`].
    pub fn rename_tag(&self, old_name: &str, new_name: &str) -> Result<()> {
        block_on(self.inner.rename_tag(old_name, new_name))
    }
    /// See [`crate::Client::delete_tag`].
    pub fn delete_tag(&self, name: &str) -> Result<()> {
        block_on(self.inner.delete_tag(name))
    }
    /// See [`crate::Client::bulk_register`].
    pub fn bulk_register(&self, registrations: &[BulkRegistration]) -> Result<String> {
        block_on(self.inner.bulk_register(registrations))
    }
    /// See [`crate::Client::bulk_register_progress`].
    pub fn bulk_register_progress(
        &self,
        batch_id: &str,
        paging_id: Option<&str>,
    ) -> Result<BulkProgressPage> {
        block_on(self.inner.bulk_register_progress(batch_id, paging_id))
    }
    /// Iterator over every progress page; see [`crate::Client::bulk_progress_paginator`].
    pub fn bulk_progress_paginator(
        &self,
        batch_id: &str,
    ) -> impl Iterator<Item = Result<BulkProgressPage>> + Send + 'static {
        let mut s = self.inner.bulk_progress_paginator(batch_id);
        std::iter::from_fn(move || {
            block_on(async { Ok(s.next().await) })
                .transpose()
                .map(|r| r.and_then(|x| x))
        })
    }
    /// See [`crate::Client::wait_for_bulk_register`].
    pub fn wait_for_bulk_register<F>(
        &self,
        batch_id: &str,
        options: WaitOptions,
        on_progress: F,
    ) -> Result<BulkProgress>
    where
        F: FnMut(&BulkProgress) + Send + 'static,
    {
        block_on(
            self.inner
                .wait_for_bulk_register(batch_id, options, on_progress),
        )
    }
    /// See [`crate::Client::health`].
    pub fn health(&self) -> Result<Health> {
        block_on(self.inner.health())
    }
    /// See [`crate::Client::sign_request`] (no I/O; works anywhere).
    pub fn sign_request(
        &self,
        method: &str,
        url: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<Vec<(String, String)>> {
        self.inner.sign_request(method, url, headers, body)
    }
    /// See [`crate::Client::sign_request_at`].
    pub fn sign_request_at(
        &self,
        method: &str,
        url: &str,
        headers: &[(String, String)],
        body: &[u8],
        time: SystemTime,
    ) -> Result<Vec<(String, String)>> {
        self.inner.sign_request_at(method, url, headers, body, time)
    }
    /// See [`crate::Client::list_galleries`].
    pub fn list_galleries(&self) -> Result<Vec<Gallery>> {
        block_on(self.inner.list_galleries())
    }
    /// See [`crate::Client::get_gallery`].
    pub fn get_gallery(&self, gallery_id: &str) -> Result<GalleryDetails> {
        block_on(self.inner.get_gallery(gallery_id))
    }
    /// See [`crate::Client::create_gallery`].
    pub fn create_gallery(&self, gallery: NewGallery) -> Result<Gallery> {
        block_on(self.inner.create_gallery(gallery))
    }
    /// See [`crate::Client::update_gallery`].
    pub fn update_gallery(&self, gallery_id: &str, update: GalleryUpdate) -> Result<Gallery> {
        block_on(self.inner.update_gallery(gallery_id, update))
    }
    /// See [`crate::Client::delete_gallery`].
    pub fn delete_gallery(&self, gallery_id: &str) -> Result<()> {
        block_on(self.inner.delete_gallery(gallery_id))
    }
    /// See [`crate::Client::list_applications`].
    pub fn list_applications(&self) -> Result<Vec<Application>> {
        block_on(self.inner.list_applications())
    }
    /// See [`crate::Client::get_application`].
    pub fn get_application(&self, application_id: &str) -> Result<Application> {
        block_on(self.inner.get_application(application_id))
    }
    /// See [`crate::Client::create_application`].
    pub fn create_application(&self, application: NewApplication) -> Result<Application> {
        block_on(self.inner.create_application(application))
    }
    /// See [`crate::Client::update_application`].
    pub fn update_application(
        &self,
        application_id: &str,
        update: ApplicationUpdate,
    ) -> Result<Application> {
        block_on(self.inner.update_application(application_id, update))
    }
    /// See [`crate::Client::delete_application`].
    pub fn delete_application(&self, application_id: &str) -> Result<()> {
        block_on(self.inner.delete_application(application_id))
    }
}
