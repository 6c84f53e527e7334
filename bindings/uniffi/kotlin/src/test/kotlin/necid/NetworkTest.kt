package necid

import java.io.File
import java.net.ServerSocket
import java.time.Duration
import java.util.concurrent.CopyOnWriteArrayList
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/**
 * Network settings through a real forward proxy on loopback (`necid-test-proxy`, built by
 * the suite from tests/e2e): `proxy` for http:// and for https:// (a CONNECT tunnel with
 * the TLS emulator's CA), a password that never shows, and the pool settings seen from the
 * proxy (one SEEN line per connection it accepted).
 */
class NetworkTest {
    /** The proxy process; exits when its stdin closes. */
    private class Proxy(vararg args: String) : AutoCloseable {
        private val proc: Process
        val url: String
        val seen = CopyOnWriteArrayList<String>()

        init {
            val bin = System.getenv("NECID_TEST_PROXY")?.takeIf { it.isNotEmpty() }
                ?: File(repoRoot, "target/x86_64-unknown-linux-gnu/debug/necid-test-proxy").path
            check(File(bin).canExecute()) { "$bin not found: cargo build -p necid-e2e --bin necid-test-proxy" }
            proc = ProcessBuilder(bin, *args).redirectError(ProcessBuilder.Redirect.INHERIT).start()
            val lines = proc.inputStream.bufferedReader()
            val ready = lines.readLine() ?: error("necid-test-proxy did not start")
            check(ready.startsWith("READY ")) { ready }
            url = ready.removePrefix("READY ")
            Thread {
                lines.forEachLine { if (it.startsWith("SEEN ")) seen.add(it.removePrefix("SEEN ")) }
            }.apply { isDaemon = true }.start()
        }

        /** The lines once `n` arrived (or after 10 s), plus 100 ms for a late extra one. */
        fun waitSeen(n: Int): List<String> {
            val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10)
            while (seen.size < n && System.nanoTime() < deadline) Thread.sleep(20)
            Thread.sleep(100)
            return seen.toList()
        }

        override fun close() {
            proc.outputStream.close()
            if (!proc.waitFor(10, TimeUnit.SECONDS)) proc.destroyForcibly().waitFor()
        }
    }

    private fun plain(proxy: String?): ConfigBuilder {
        val b = Emulator.builder().apiKey(Emulator.info.apiKey).maxAttempts(1u)
        return if (proxy == null) b else b.proxy(proxy)
    }

    @Test
    fun httpCallsGoThroughTheExplicitProxy() = Proxy().use { p ->
        Client(plain(p.url).build()).use { c -> assertTrue(runBlocking { c.health() }.ok) }
        val seen = p.waitSeen(1)
        assertTrue(seen.isNotEmpty() && seen.all { it.contains(" ${Emulator.info.endpoint}/") }, "$seen")
        Client(plain(null).build()).use { c -> assertTrue(runBlocking { c.health() }.ok) }
        assertEquals(seen, p.waitSeen(seen.size))
    }

    @Test
    fun httpsCallsTunnelThroughTheProxy() = Proxy().use { p ->
        val ca = checkNotNull(TlsEmulator.info.caFile)
        Client(TlsEmulator.builder().proxy(p.url).caBundle(ca).build()).use { c ->
            assertTrue(runBlocking { c.health() }.ok)
        }
        val hostPort = TlsEmulator.info.endpoint.substringAfter("://")
        assertEquals(listOf("CONNECT $hostPort HTTP/1.1"), p.waitSeen(1))
    }

    @Test
    fun theProxyPasswordNeverShows() {
        Proxy("--auth", "necid:pr0xy-pa55word").use { p ->
            val authority = p.url.substringAfter("://")
            Client(plain("http://necid:pr0xy-pa55word@$authority").build()).use { c ->
                assertTrue(runBlocking { c.health() }.ok)
            }
            val config = plain("http://necid:wr0ng-pa55word@$authority").build()
            Client(config).use { c ->
                val e = assertThrows<NecIdException.InvalidRequest> { runBlocking { c.listTags() } }
                assertEquals(407, e.status)
                assertFalse(e.toString().contains("wr0ng-pa55word"), e.toString())
            }
            assertFalse(config.toString().contains("wr0ng-pa55word"))
        }
        val closed = ServerSocket(0).use { it.localPort }
        Client(plain("http://necid:wr0ng-pa55word@127.0.0.1:$closed").build()).use { c ->
            val e = assertThrows<NecIdException.Network> { runBlocking { c.health() } }
            assertFalse(e.reason.contains("wr0ng-pa55word"), e.reason)
        }
        val bad = assertThrows<NecIdException.InvalidInput> { ConfigBuilder().proxy("ftp://u:s3cret-value@h:21").build() }
        assertEquals("proxy", bad.field)
        assertFalse(bad.reason.contains("s3cret-value"), bad.reason)
    }

    /** Connections for [calls] calls [gapMs] apart, waiting for [expected] of them. */
    private fun connections(calls: Int, gapMs: Long, expected: Int, tweak: (ConfigBuilder) -> ConfigBuilder): Int = Proxy().use { p ->
        Client(tweak(plain(p.url)).build()).use { c ->
            repeat(calls) {
                assertTrue(runBlocking { c.health() }.ok)
                Thread.sleep(gapMs)
            }
        }
        p.waitSeen(expected).size
    }

    @Test
    fun thePoolSettingsDecideHowConnectionsAreReused() {
        assertEquals(1, connections(3, 50, 1) { it })
        assertEquals(3, connections(3, 50, 3) { it.poolMaxIdlePerHost(0u) })
        assertEquals(3, connections(3, 400, 3) { it.poolIdleTimeout(Duration.ofMillis(100)) })
    }
}
