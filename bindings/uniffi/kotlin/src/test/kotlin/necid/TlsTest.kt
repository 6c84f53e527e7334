package necid

import com.sun.jna.Library
import com.sun.jna.Native
import java.io.File
import java.nio.file.Files
import java.time.Duration
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

/**
 * Client certificates (mutual TLS) against two emulators started with `--tls
 * --tls-client-auth`, each with its own CA: one's client certificate is not trusted by the
 * other. Both are stopped when the class ends.
 */
class ClientCertificateTest {
    private fun start() = necid.testing.Emulator.start(emulatorOptions(tls = true, extraArgs = listOf("--tls-client-auth")))

    private fun builder(info: necid.testing.EmulatorInfo): ConfigBuilder = ConfigBuilder()
        .endpoint(info.endpoint)
        .tenantEndpoint(info.tenantEndpoint)
        .region(info.region)
        .accessKeyId(info.accessKeyId)
        .secretAccessKey(info.secretAccessKey)
        .apiKey(info.apiKey)
        .caBundle(checkNotNull(info.caFile))
        .retryPolicy(1u, Duration.ofMillis(10), Duration.ofMillis(10))

    @Test
    fun clientCertificatesAreRequiredCheckedAndNeverQuoted() = start().use { one ->
        start().use { other ->
            val info = one.info
            val cert = checkNotNull(info.clientCertFile) { "no clientCertFile with --tls-client-auth" }
            val key = checkNotNull(info.clientKeyFile)
            // With the certificate: calls succeed (from files and from PEM bytes).
            Client(builder(info).clientCert(cert).clientKey(key).build()).use { c ->
                assertTrue(runBlocking { c.health() }.ok)
                assertTrue(runBlocking { c.registerSubject(face("obama.jpg")) }.subjectId.isNotEmpty())
            }
            val pem = builder(info).clientCertPem(File(cert).readBytes()).clientKeyPem(File(key).readBytes()).build()
            Client(pem).use { c -> assertTrue(runBlocking { c.health() }.ok) }
            // Without one: refused at the handshake, a Network error saying what is missing.
            Client(builder(info).build()).use { c ->
                val e = assertThrows<NecIdException.Network> { runBlocking { c.health() } }
                assertTrue(e.reason.contains("requires a client certificate"), e.reason)
            }
            // One issued by another CA: refused.
            val otherCert = checkNotNull(other.info.clientCertFile)
            val otherKey = checkNotNull(other.info.clientKeyFile)
            Client(builder(info).clientCert(otherCert).clientKey(otherKey).build()).use { c ->
                val e = assertThrows<NecIdException.Network> { runBlocking { c.health() } }
                assertTrue(e.reason.contains("does not accept the client certificate"), e.reason)
            }
            // Bad settings: InvalidInput naming the setting, never quoting the key.
            val keyLine = File(key).readLines()[1]
            fun fails(field: String, make: () -> Unit) {
                val e = assertThrows<NecIdException.InvalidInput> { make() }
                assertTrue(e.reason.startsWith("$field:"), e.reason)
                assertTrue(!e.reason.contains(keyLine), e.reason)
            }
            fails("client_key") { builder(info).clientCert(cert).build() }
            fails("client_cert") { builder(info).clientKey(key).build() }
            fails("client_cert") { Client(builder(info).clientCert("/nonexistent/client.pem").clientKey(key).build()) }
            fails("client_key") { Client(builder(info).clientCert(cert).clientKey(otherKey).build()) }
        }
    }
}
