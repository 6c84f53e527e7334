//! The `Client` object: every core operation as an async method.

use std::sync::Arc;
use std::time::SystemTime;

use crate::config::ClientConfig;
use crate::error::NecIdError;
use crate::paginate::{BulkProgressPaginator, SubjectsPaginator};
use crate::rt::on_runtime;
use crate::types::*;

/// Receives progress while `wait_for_bulk_register` polls. Called on an SDK worker
/// thread after each poll; keep it quick (it delays the next poll). Throwing stops the
/// wait: a thrown `NecIdError` is returned as is, anything else as `InvalidInput`.
#[uniffi::export(with_foreign)]
pub trait BulkProgressListener: Send + Sync {
    /// Every record of the batch so far.
    fn on_progress(&self, progress: BulkProgress) -> Result<(), NecIdError>;
}

/// NEC ID client. Thread-safe: share one per process (it holds the connection pool).
/// Dropping or closing it releases the pool once in-flight calls finish.
#[derive(Debug, uniffi::Object)]
pub struct Client {
    inner: necid::Client,
}

fn map_vec<A, B: From<A>>(v: Vec<A>) -> Vec<B> {
    v.into_iter().map(Into::into).collect()
}

#[uniffi::export]
impl Client {
    /// A client for `config`. Does no I/O.
    #[uniffi::constructor]
    pub fn new(config: Arc<ClientConfig>) -> Result<Arc<Self>, NecIdError> {
        Ok(Arc::new(Client {
            inner: necid::Client::new(config.0.clone())?,
        }))
    }

    /// A client configured from the profile file and `NECID_*` environment variables.
    #[uniffi::constructor]
    pub fn from_env() -> Result<Arc<Self>, NecIdError> {
        Ok(Arc::new(Client {
            inner: necid::Client::from_env()?,
        }))
    }

    /// The configuration (secrets are not readable back).
    pub fn config(&self) -> Arc<ClientConfig> {
        Arc::new(ClientConfig(self.inner.config().clone()))
    }

    /// Clock offset (server minus local, ms) learnt from a clock-skew 403; 0 until then.
    pub fn clock_skew_ms(&self) -> i64 {
        self.inner.clock_skew_ms()
    }

    // ----- subjects ---------------------------------------------------------------------

    /// `GET /subjects`: one page of subject/event rows (`length` 1–1000).
    #[uniffi::method(default(start = 0, length = 100, dir = None))]
    pub async fn list_subjects(
        &self,
        start: u32,
        length: u32,
        dir: Option<SortDirection>,
    ) -> Result<SubjectPage, NecIdError> {
        let dir = dir.map_or(necid::SortDirection::Asc, Into::into);
        Ok(on_runtime(self.inner.list_subjects(start, length, dir))
            .await?
            .into())
    }

    /// Every page of list subjects, `length` rows at a time (see the Kotlin `subjectPages`
    /// / Swift `subjectPages` helpers for a Flow / AsyncSequence).
    #[uniffi::method(default(length = 100, dir = None))]
    pub fn subjects_paginator(
        &self,
        length: u32,
        dir: Option<SortDirection>,
    ) -> Arc<SubjectsPaginator> {
        let dir = dir.map_or(necid::SortDirection::Asc, Into::into);
        Arc::new(SubjectsPaginator::new(
            self.inner.subjects_paginator(length, dir),
        ))
    }

    /// `POST /subjects`: register a new subject from one face (image bytes).
    #[uniffi::method(default(tags))]
    pub async fn register_subject(
        &self,
        face: Vec<u8>,
        tags: Vec<String>,
    ) -> Result<RegisteredFace, NecIdError> {
        on_runtime(self.inner.register_subject(face, &tags)).await
    }

    /// `PUT /subjects/{id}`: replace a subject's face (and tags).
    #[uniffi::method(default(tags))]
    pub async fn update_subject(
        &self,
        subject_id: String,
        face: Vec<u8>,
        tags: Vec<String>,
    ) -> Result<RegisteredFace, NecIdError> {
        on_runtime(self.inner.update_subject(&subject_id, face, &tags)).await
    }

    /// `DELETE /subjects/{id}`: unregister a subject and its events.
    pub async fn unregister_subject(&self, subject_id: String) -> Result<(), NecIdError> {
        on_runtime(self.inner.unregister_subject(&subject_id)).await
    }

    // ----- events -----------------------------------------------------------------------

    /// `GET /subjects/{id}/events`.
    pub async fn list_events(&self, subject_id: String) -> Result<EventList, NecIdError> {
        on_runtime(self.inner.list_events(&subject_id)).await
    }

    /// `POST /subjects/{id}/events`: add a face to a subject.
    #[uniffi::method(default(tags))]
    pub async fn register_event(
        &self,
        subject_id: String,
        face: Vec<u8>,
        tags: Vec<String>,
    ) -> Result<RegisteredFace, NecIdError> {
        on_runtime(self.inner.register_event(&subject_id, face, &tags)).await
    }

    /// `PUT /subjects/{id}/events/{eventId}`: replace one event's face.
    #[uniffi::method(default(tags))]
    pub async fn update_event(
        &self,
        subject_id: String,
        event_id: String,
        face: Vec<u8>,
        tags: Vec<String>,
    ) -> Result<RegisteredFace, NecIdError> {
        on_runtime(self.inner.update_event(&subject_id, &event_id, face, &tags)).await
    }

    /// `DELETE /subjects/{id}/events/{eventId}`.
    pub async fn unregister_event(
        &self,
        subject_id: String,
        event_id: String,
    ) -> Result<(), NecIdError> {
        on_runtime(self.inner.unregister_event(&subject_id, &event_id)).await
    }

    // ----- face -------------------------------------------------------------------------

    /// `POST /face/extract`: attributes of up to `limit` (1–20, service default 10) faces.
    #[uniffi::method(default(limit = None))]
    pub async fn extract_faces(
        &self,
        image: Vec<u8>,
        limit: Option<u32>,
    ) -> Result<Vec<FaceAttributes>, NecIdError> {
        Ok(map_vec(
            on_runtime(self.inner.extract_faces(image, limit)).await?,
        ))
    }

    /// `POST /face/search`: threshold 0–9999 (service default 7000), limit 1–50 (default
    /// 10), only subjects with any of `tags`. No candidates is an empty list, not an error.
    #[uniffi::method(default(threshold = None, limit = None, tags))]
    pub async fn search(
        &self,
        probe: Vec<u8>,
        threshold: Option<u32>,
        limit: Option<u32>,
        tags: Vec<String>,
    ) -> Result<SearchResult, NecIdError> {
        let mut req = necid::SearchRequest::new(probe).tags(tags);
        req.threshold = threshold;
        req.limit = limit;
        on_runtime(self.inner.search(req)).await
    }

    /// `POST /face/verify {id, probe}`; "not verified" is `verified = false`, not an error.
    pub async fn verify_subject(
        &self,
        subject_id: String,
        probe: Vec<u8>,
    ) -> Result<Verification, NecIdError> {
        on_runtime(self.inner.verify_subject(&subject_id, probe)).await
    }

    /// `POST /face/verify {face, probe}`: compare two faces.
    pub async fn verify_faces(
        &self,
        face: Vec<u8>,
        probe: Vec<u8>,
    ) -> Result<FaceVerification, NecIdError> {
        on_runtime(self.inner.verify_faces(face, probe)).await
    }

    // ----- tags -------------------------------------------------------------------------

    /// `GET /tags`.
    pub async fn list_tags(&self) -> Result<Vec<Tag>, NecIdError> {
        Ok(map_vec(on_runtime(self.inner.list_tags()).await?))
    }

    /// `POST /tags/{name}`.
    pub async fn create_tag(&self, name: String) -> Result<(), NecIdError> {
        on_runtime(self.inner.create_tag(&name)).await
    }

    /// `PUT /tags/{old}` with the new name.
    pub async fn rename_tag(&self, old_name: String, new_name: String) -> Result<(), NecIdError> {
        on_runtime(self.inner.rename_tag(&old_name, &new_name)).await
    }

    /// `DELETE /tags/{name}` (subjects keep the tag).
    pub async fn delete_tag(&self, name: String) -> Result<(), NecIdError> {
        on_runtime(self.inner.delete_tag(&name)).await
    }

    // ----- bulk -------------------------------------------------------------------------

    /// `POST /jobs/bulkregister`: start a bulk job over files in the gallery's bucket;
    /// returns the batch id.
    pub async fn bulk_register(
        &self,
        registrations: Vec<BulkRegistration>,
    ) -> Result<String, NecIdError> {
        let regs: Vec<necid::BulkRegistration> = map_vec(registrations);
        on_runtime(self.inner.bulk_register(&regs)).await
    }

    /// `GET /jobs/bulkregister/{batchId}[/{pagingId}]`: one page of progress.
    #[uniffi::method(default(paging_id = None))]
    pub async fn bulk_register_progress(
        &self,
        batch_id: String,
        paging_id: Option<String>,
    ) -> Result<BulkProgressPage, NecIdError> {
        Ok(on_runtime(
            self.inner
                .bulk_register_progress(&batch_id, paging_id.as_deref()),
        )
        .await?
        .into())
    }

    /// Every progress page of a batch, following `lastEvaluatedKey`.
    pub fn bulk_progress_paginator(&self, batch_id: String) -> Arc<BulkProgressPaginator> {
        Arc::new(BulkProgressPaginator::new(
            self.inner.bulk_progress_paginator(&batch_id),
        ))
    }

    /// Poll a batch until every record is processed (backing off ×1.5 between polls),
    /// telling `listener` after each poll; `TimedOut` at the deadline.
    #[uniffi::method(default(options = None, listener = None))]
    pub async fn wait_for_bulk_register(
        &self,
        batch_id: String,
        options: Option<WaitOptions>,
        listener: Option<Arc<dyn BulkProgressListener>>,
    ) -> Result<BulkProgress, NecIdError> {
        let options = options.map(Into::into).unwrap_or_default();
        // The core's callback cannot fail, so a listener error is handed over a channel
        // and ends the wait (dropping the core's future aborts its polling task).
        let (fail_tx, fail_rx) = tokio::sync::oneshot::channel::<NecIdError>();
        let fail_tx = std::sync::Mutex::new(Some(fail_tx));
        let fut = self
            .inner
            .wait_for_bulk_register(&batch_id, options, move |p| {
                if let Some(l) = &listener
                    && let Err(e) = l.on_progress(p.into())
                    && let Some(tx) = fail_tx.lock().unwrap_or_else(|p| p.into_inner()).take()
                {
                    let _ = tx.send(e);
                }
            });
        let waited = async move {
            tokio::select! {
                r = fut => r.map_err(NecIdError::from),
                Ok(e) = fail_rx => Err(e),
            }
        };
        let rt = necid::runtime()?;
        // Spawned like every other call (see rt::on_runtime), with the listener's error type.
        let progress = crate::rt::spawn_on_runtime(rt, waited).await?;
        Ok((&progress).into())
    }

    // ----- health and custom signing ----------------------------------------------------

    /// `GET /health` (signed when credentials are configured).
    pub async fn health(&self) -> Result<Health, NecIdError> {
        Ok(on_runtime(self.inner.health()).await?.into())
    }

    /// Sign a custom request now and return the headers to add (`x-api-key` when
    /// configured and absent, `x-amz-date`, `x-amz-security-token`, `authorization`).
    /// `url` is absolute and percent-encoded as sent; every header given is signed.
    pub fn sign_request(
        &self,
        method: String,
        url: String,
        headers: Vec<HttpHeader>,
        body: Vec<u8>,
    ) -> Result<Vec<HttpHeader>, NecIdError> {
        let pairs: Vec<(String, String)> = headers.into_iter().map(|h| (h.name, h.value)).collect();
        Ok(self
            .inner
            .sign_request(&method, &url, &pairs, &body)?
            .into_iter()
            .map(|(name, value)| HttpHeader { name, value })
            .collect())
    }

    /// [`Client::sign_request`] at a fixed time (reproducible signatures, test vectors).
    pub fn sign_request_at(
        &self,
        method: String,
        url: String,
        headers: Vec<HttpHeader>,
        body: Vec<u8>,
        time: SystemTime,
    ) -> Result<Vec<HttpHeader>, NecIdError> {
        let pairs: Vec<(String, String)> = headers.into_iter().map(|h| (h.name, h.value)).collect();
        Ok(self
            .inner
            .sign_request_at(&method, &url, &pairs, &body, time)?
            .into_iter()
            .map(|(name, value)| HttpHeader { name, value })
            .collect())
    }

    // ----- tenant API -------------------------------------------------------------------

    /// `GET /api/galleries`.
    pub async fn list_galleries(&self) -> Result<Vec<Gallery>, NecIdError> {
        Ok(map_vec(on_runtime(self.inner.list_galleries()).await?))
    }

    /// `GET /api/galleries/{id}`: the gallery with its applications.
    pub async fn get_gallery(&self, gallery_id: String) -> Result<GalleryDetails, NecIdError> {
        Ok(on_runtime(self.inner.get_gallery(&gallery_id))
            .await?
            .into())
    }

    /// `POST /api/galleries`: creates a gallery and an application; the result carries
    /// the new API key.
    pub async fn create_gallery(&self, gallery: NewGallery) -> Result<Gallery, NecIdError> {
        Ok(on_runtime(self.inner.create_gallery(gallery)).await?.into())
    }

    /// `PATCH /api/galleries/{id}`.
    pub async fn update_gallery(
        &self,
        gallery_id: String,
        update: GalleryUpdate,
    ) -> Result<Gallery, NecIdError> {
        Ok(on_runtime(self.inner.update_gallery(&gallery_id, update))
            .await?
            .into())
    }

    /// `DELETE /api/galleries/{id}` (and its applications).
    pub async fn delete_gallery(&self, gallery_id: String) -> Result<(), NecIdError> {
        on_runtime(self.inner.delete_gallery(&gallery_id)).await
    }

    /// `GET /api/applications`.
    pub async fn list_applications(&self) -> Result<Vec<Application>, NecIdError> {
        Ok(map_vec(on_runtime(self.inner.list_applications()).await?))
    }

    /// `GET /api/applications/{id}`.
    pub async fn get_application(&self, application_id: String) -> Result<Application, NecIdError> {
        Ok(on_runtime(self.inner.get_application(&application_id))
            .await?
            .into())
    }

    /// `POST /api/applications`: a new API key for an existing gallery.
    pub async fn create_application(
        &self,
        application: NewApplication,
    ) -> Result<Application, NecIdError> {
        Ok(on_runtime(self.inner.create_application(application))
            .await?
            .into())
    }

    /// `PATCH /api/applications/{id}`.
    pub async fn update_application(
        &self,
        application_id: String,
        update: ApplicationUpdate,
    ) -> Result<Application, NecIdError> {
        Ok(
            on_runtime(self.inner.update_application(&application_id, update))
                .await?
                .into(),
        )
    }

    /// `DELETE /api/applications/{id}`.
    pub async fn delete_application(&self, application_id: String) -> Result<(), NecIdError> {
        on_runtime(self.inner.delete_application(&application_id)).await
    }
}
