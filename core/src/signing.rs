//! AWS Signature Version 4 via the `aws-sigv4` crate, configured the way the NEC ID
//! service verifies: double-encoded canonical URI (standard non-S3), no path
//! normalisation, no `x-amz-content-sha256` header, session token signed.

use std::fmt;
use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SessionTokenMode, SignableBody, SignableRequest,
    SignatureLocation, SigningSettings, UriPathNormalizationMode, sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use sha2::{Digest, Sha256};

use crate::config::Secret;
use crate::error::{Error, ErrorKind, Result};

/// Headers the signer computes itself; callers' copies are ignored.
const SIGNER_OWNED: &[&str] = &["authorization", "x-amz-date", "x-amz-security-token"];

/// Signs requests with one set of credentials for one region and service.
#[derive(Clone)]
pub struct Signer {
    identity: Identity,
    access_key_id: String,
    has_token: bool,
    region: String,
    service: String,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"***")
            .field(
                "session_token",
                &if self.has_token { "***" } else { "None" },
            )
            .field("region", &self.region)
            .field("service", &self.service)
            .finish()
    }
}

impl Signer {
    /// A signer for `region`/`service` with these credentials.
    pub fn new(
        access_key_id: &str,
        secret_access_key: &Secret,
        session_token: Option<&Secret>,
        region: &str,
        service: &str,
    ) -> Signer {
        let creds = Credentials::new(
            access_key_id,
            secret_access_key.expose(),
            session_token.map(|t| t.expose().to_owned()),
            None,
            "necid",
        );
        Signer {
            identity: creds.into(),
            access_key_id: access_key_id.to_owned(),
            has_token: session_token.is_some(),
            region: region.to_owned(),
            service: service.to_owned(),
        }
    }

    /// Access key id used.
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// Sign a request and return the headers to add (`x-amz-date`, `x-amz-security-token`
    /// when there is a session token, `authorization`), lower-case names.
    ///
    /// `url` must be absolute and already percent-encoded as it will be sent. Every header
    /// in `headers` is signed (except `authorization`, `user-agent`, `x-amzn-trace-id`,
    /// `transfer-encoding`, and the signer-owned ones, which are ignored); `host` is taken
    /// from the URL (port included unless it is the scheme's default) when absent.
    /// `payload_sha256_hex` is the lower-case hex SHA-256 of the exact body bytes.
    pub fn sign(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        payload_sha256_hex: &str,
        time: SystemTime,
    ) -> Result<Vec<(String, String)>> {
        // aws-sigv4 formats the time as a calendar date (and panics past year 9999).
        let secs = time
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(u64::MAX);
        if secs > 253_402_300_799 {
            return Err(Error::invalid_input(
                "time",
                "must be between 1970 and 9999",
            ));
        }
        // aws-sigv4 panics on a URI without a host: reject it here.
        let uri: http::Uri = url
            .parse()
            .map_err(|e| Error::invalid_input("url", format!("not a valid URL ({e})")))?;
        if uri.host().is_none_or(str::is_empty) {
            return Err(Error::invalid_input(
                "url",
                "must be absolute (with a host)",
            ));
        }
        let mut settings = SigningSettings::default();
        settings.percent_encoding_mode = PercentEncodingMode::Double;
        settings.payload_checksum_kind = PayloadChecksumKind::NoHeader;
        settings.signature_location = SignatureLocation::Headers;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        settings.session_token_mode = SessionTokenMode::Include;
        let params = v4::SigningParams::builder()
            .identity(&self.identity)
            .region(&self.region)
            .name(&self.service)
            .time(time)
            .settings(settings)
            .build()
            .map_err(|e| Error::new(ErrorKind::InvalidInput, format!("signing: {e}")))?
            .into();
        let kept = headers
            .iter()
            .filter(|(k, _)| !SIGNER_OWNED.iter().any(|o| k.eq_ignore_ascii_case(o)))
            .map(|(k, v)| (*k, *v));
        let signable = SignableRequest::new(
            method,
            url,
            kept,
            SignableBody::Precomputed(payload_sha256_hex.to_owned()),
        )
        .map_err(|e| Error::invalid_input("url", format!("cannot sign request: {e}")))?;
        // aws-sigv4 traces the whole signable request (x-api-key value included) and the
        // canonical request: mute tracing for this call so no secret reaches any log.
        let signed =
            tracing::subscriber::with_default(tracing::subscriber::NoSubscriber::default(), || {
                sign(signable, &params)
            });
        let (instructions, _signature) = signed
            .map_err(|e| Error::invalid_input("request", format!("cannot sign request: {e}")))?
            .into_parts();
        Ok(instructions
            .headers()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_owned()))
            .collect())
    }
}

/// Lower-case hex SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_times_are_errors_not_panics() {
        let s = Signer::new(
            "AKID",
            &Secret::new("secret"),
            None,
            "ap-southeast-2",
            "execute-api",
        );
        let far = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(300_000_000_000);
        let e = s
            .sign("GET", "https://h/x", &[], crate::body::EMPTY_SHA256, far)
            .unwrap_err();
        assert_eq!(e.field(), Some("time"));
        let before = SystemTime::UNIX_EPOCH - std::time::Duration::from_secs(10);
        assert!(
            s.sign("GET", "https://h/x", &[], crate::body::EMPTY_SHA256, before)
                .is_err()
        );
        assert!(
            s.sign(
                "GET",
                "https://h/x",
                &[],
                crate::body::EMPTY_SHA256,
                SystemTime::now()
            )
            .is_ok()
        );
    }

    #[test]
    fn bad_urls_are_errors() {
        let s = Signer::new("AKID", &Secret::new("secret"), None, "r", "s");
        for bad in ["not a url", "/relative/path", "", "https:///x"] {
            let e = s
                .sign(
                    "GET",
                    bad,
                    &[],
                    crate::body::EMPTY_SHA256,
                    SystemTime::now(),
                )
                .unwrap_err();
            assert_eq!(e.field(), Some("url"), "{bad}");
        }
    }

    #[test]
    fn debug_hides_secrets() {
        let s = Signer::new(
            "AKID",
            &Secret::new("the-secret-value"),
            Some(&Secret::new("the-token-value")),
            "r",
            "s",
        );
        let d = format!("{s:?}");
        assert!(
            d.contains("AKID") && !d.contains("the-secret-value") && !d.contains("the-token-value")
        );
    }
}
