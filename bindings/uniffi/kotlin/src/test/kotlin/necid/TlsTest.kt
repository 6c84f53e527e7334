package necid

import com.sun.jna.Library
import com.sun.jna.Native
import java.io.File
import java.nio.file.Files
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/**
 * TLS trust roots against `necid serve --tls` (real HTTPS on loopback, certificate signed
 * by a CA the emulator generated at start), Android set-up on the JVM, and a panic inside
 * a request (the necid-uniffi `test-hooks` build) becoming an exception.
 */
class TlsTest {
    private val caFile: String get() = checkNotNull(TlsEmulator.info.caFile) { "the TLS emulator reported no caFile" }

    @Test
    fun httpsWithTheEmulatorCaAsCustomBundle() = runBlocking {
        assertTrue(TlsEmulator.info.endpoint.startsWith("https://"), TlsEmulator.info.endpoint)
        val config = TlsEmulator.builder().caBundle(caFile).build()
        assertEquals(TlsRoots.CUSTOM, config.tlsRoots())
        Client(config).use { c ->
            assertTrue(c.health().ok)
            val registered = c.registerSubject(face("obama.jpg"))
            assertTrue(registered.subjectId.isNotEmpty())
        }
        // The PEM bytes instead of a path.
        Client(TlsEmulator.builder().caBundlePem(File(caFile).readBytes()).build()).use { c ->
            assertTrue(c.health().ok)
        }
    }

    @Test
    fun withoutTheCaTheCertificateErrorIsClear() {
        Client(TlsEmulator.builder().build()).use { c ->
            val e = assertThrows<NecIdException.Network> { runBlocking { c.health() } }
            assertTrue(e.reason.contains("TLS certificate verification failed"), e.reason)
            assertTrue(e.reason.contains("UnknownIssuer"), e.reason)
            assertTrue(e.reason.contains("ca_bundle"), e.reason)
        }
    }

    @Test
    fun bundledRootsRejectTheSelfSignedEmulator() {
        val config = TlsEmulator.builder().tlsRoots(TlsRoots.BUNDLED).build()
        assertEquals(TlsRoots.BUNDLED, config.tlsRoots())
        Client(config).use { c ->
            val e = assertThrows<NecIdException.Network> { runBlocking { c.health() } }
            assertTrue(e.reason.contains("bundled Mozilla roots"), e.reason)
        }
        // Bundled roots plus the emulator's CA: trusted.
        Client(TlsEmulator.builder().tlsRoots(TlsRoots.BUNDLED).caBundle(caFile).build()).use { c ->
            assertTrue(runBlocking { c.health() }.ok)
        }
    }

    @Test
    fun anUnreadableCaBundleNamesTheSetting() {
        val e = assertThrows<NecIdException.InvalidInput> {
            Client(TlsEmulator.builder().caBundle("/nonexistent/ca.pem").build())
        }
        assertTrue(e.reason.startsWith("ca_bundle:"), e.reason)
        assertThrows<NecIdException.InvalidInput> { TlsEmulator.builder().tlsRoots(TlsRoots.CUSTOM).build() }
    }

    @Test
    fun initAndroidIsRefusedOffAndroid() {
        // On the JVM the platform verifier needs no initialisation; the JNI path itself can
        // only run on Android (not available here).
        val e = assertThrows<IllegalStateException> { Necid.initAndroid(Any()) }
        assertTrue(e.message!!.contains("Android only"), e.message)
        assertTrue(!Necid.isAndroid())
    }

    @Test
    fun aPanicInsideARequestIsAServerException() {
        Emulator.client().use { c ->
            val e = assertThrows<NecIdException.Server> { runBlocking { c.unregisterSubject("necid-test-panic") } }
            assertTrue(e.reason.contains("deliberate panic inside a request"), e.reason)
            // The process and the client are fine afterwards.
            assertTrue(runBlocking { c.health() }.ok)
        }
    }

    /** libc's setenv/unsetenv through JNA: the JVM cannot change its own environment. */
    private interface LibC : Library {
        fun setenv(name: String, value: String, overwrite: Int): Int
        fun unsetenv(name: String): Int
    }

    @Test
    fun noSystemStoreHttpWorksHttpsExplainsBundledBuilds() {
        // SSL_CERT_FILE / SSL_CERT_DIR replace the system store (the Linux platform verifier
        // reads only them when set): an empty directory is a machine without ca-certificates.
        val libc = Native.load("c", LibC::class.java)
        val dir = Files.createTempDirectory("necid-empty-")
        libc.setenv("SSL_CERT_FILE", dir.resolve("none.pem").toString(), 1)
        libc.setenv("SSL_CERT_DIR", dir.toString(), 1)
        try {
            Emulator.client().use { c -> assertTrue(runBlocking { c.health() }.ok) }
            Client(TlsEmulator.builder().build()).use { c ->
                val e = assertThrows<NecIdException.InvalidInput> { runBlocking { c.health() } }
                assertTrue(e.reason.startsWith("tls_roots:"), e.reason)
                assertTrue(e.reason.contains("no CA certificates found in the system store"), e.reason)
                assertTrue(e.reason.contains("tls_roots = bundled"), e.reason)
            }
            Client(TlsEmulator.builder().tlsRoots(TlsRoots.BUNDLED).build()).use { c ->
                val e = assertThrows<NecIdException.Network> { runBlocking { c.health() } }
                assertTrue(e.reason.contains("bundled Mozilla roots"), e.reason)
            }
        } finally {
            libc.unsetenv("SSL_CERT_FILE")
            libc.unsetenv("SSL_CERT_DIR")
            dir.toFile().deleteRecursively()
        }
    }
}
