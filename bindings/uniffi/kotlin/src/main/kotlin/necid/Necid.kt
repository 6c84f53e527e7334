// Hand-written: process-wide set-up that is not part of the generated bindings.
package necid

/** Process-wide set-up of the SDK. */
object Necid {
    /**
     * Android only: lets clients with `TlsRoots.PLATFORM` (the default) verify servers with
     * Android's own trust manager (system and user CAs, the app's network security config)
     * through rustls-platform-verifier. Call it once, before building clients — typically
     * in `Application.onCreate()` with the application context; calling it again is harmless.
     *
     * Without it nothing crashes: clients use the Mozilla roots bundled in the SDK
     * (`TlsRoots.BUNDLED`) instead. Clients built before the call keep the roots they were
     * built with. The app must also package the verifier's Kotlin component, the AAR
     * `org.rustls:rustls-platform-verifier` (see the README's Android section).
     *
     * @param context an `android.content.Context` (typed `Any` so that this package also
     *   compiles for the plain JVM); only its class loader and application are kept.
     * @throws IllegalStateException when not running on Android (elsewhere the platform
     *   verifier needs no initialisation).
     * @throws RuntimeException when the JNI initialisation fails (for example when the
     *   verifier's Kotlin component is missing from the app).
     */
    @JvmStatic
    fun initAndroid(context: Any) {
        check(isAndroid()) {
            "Necid.initAndroid is for Android only; on this platform the platform verifier " +
                "needs no initialisation"
        }
        NecidAndroid.nativeInitPlatformVerifier(context)
    }

    /** Whether this process runs on Android (ART reports itself as the Dalvik VM). */
    @JvmStatic
    fun isAndroid(): Boolean = System.getProperty("java.vm.name") == "Dalvik"
}

/** The JNI half of [Necid.initAndroid] (bindings/uniffi/src/android.rs). */
internal object NecidAndroid {
    init {
        // JNI resolves native methods only in libraries loaded through System.loadLibrary;
        // the generated bindings load the same library through JNA.
        System.loadLibrary("necid_uniffi")
    }

    @JvmStatic
    external fun nativeInitPlatformVerifier(context: Any)
}
