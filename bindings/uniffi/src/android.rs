//! Android: hand the platform verifier (rustls-platform-verifier) the JVM and an app
//! `Context`, so `TlsRoots.PLATFORM` clients verify with Android's own trust manager.
//!
//! Kotlin calls this through `Necid.initAndroid(context)` (src/main/kotlin/necid/
//! NecidAndroid.kt), which loads this library with `System.loadLibrary` (JNI resolves
//! `Java_…` symbols only in libraries loaded that way; UniFFI's own calls go through JNA).
//! Until it has run, the core gives `platform` clients the bundled roots instead of letting
//! the verifier panic at the first handshake ("Expect rustls-platform-verifier to be
//! initialized"). The verifier's Kotlin half (`org.rustls:rustls-platform-verifier`, an
//! AAR) must be in the app: the Kotlin package's `android` Maven profile declares it.

use jni::EnvUnowned;
use jni::errors::ThrowRuntimeExAndDefault;
use jni::objects::{JClass, JObject};

/// `necid.NecidAndroid.nativeInitPlatformVerifier(context: Any)`. A failure (or a panic)
/// is thrown to Kotlin as a `RuntimeException`; nothing unwinds into the JVM.
#[unsafe(no_mangle)]
pub extern "system" fn Java_necid_NecidAndroid_nativeInitPlatformVerifier<'caller>(
    mut unowned_env: EnvUnowned<'caller>,
    _class: JClass<'caller>,
    context: JObject<'caller>,
) {
    unowned_env
        .with_env(|env| -> jni::errors::Result<()> {
            rustls_platform_verifier::android::init_with_env(env, context)?;
            necid::tls::mark_android_platform_verifier_ready();
            Ok(())
        })
        .resolve::<ThrowRuntimeExAndDefault>();
}
