package necid

import java.net.InetAddress
import java.net.ServerSocket
import java.net.Socket
import java.time.Duration
import java.util.concurrent.atomic.AtomicInteger
import kotlin.concurrent.thread
import kotlinx.coroutines.async
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import necid.testing.NecidEmulator
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/**
 * Per-call options on a client view (`withOptions`), the cancel token, response metadata
 * and coroutine cancellation, against the emulator (its fault rules give the 503s and the
 * latency). A TCP forwarder in front of it shows that a cancelled call closes its
 * connection while the emulator still holds the answer back.
 */
@NecidEmulator(record = true)
class CallOptionsTest(private val emu: necid.testing.Emulator) {
    private fun rule(json: String) = emu.setFaults("[$json]", seed = 1)

    @AfterEach
    fun clear() {
        emu.clearFaults()
        emu.clearRequests()
    }

    /** Forwards to the emulator; counts opened and client-closed connections. */
    private class WireWatch(upstreamPort: Int) : AutoCloseable {
        val server = ServerSocket(0, 16, InetAddress.getLoopbackAddress())
        val opened = AtomicInteger()
        val closed = AtomicInteger()
        val endpoint get() = "http://127.0.0.1:${server.localPort}"

        init {
            thread(isDaemon = true) {
                while (true) {
                    val client = try { server.accept() } catch (e: Exception) { break }
                    opened.incrementAndGet()
                    val up = Socket(InetAddress.getLoopbackAddress(), upstreamPort)
                    thread(isDaemon = true) { runCatching { up.getInputStream().copyTo(client.getOutputStream()) } }
                    thread(isDaemon = true) {
                        runCatching { client.getInputStream().copyTo(up.getOutputStream()) }
                        closed.incrementAndGet()
                        runCatching { up.close() }
                        runCatching { client.close() }
                    }
                }
            }
        }

        fun waitClosed(n: Int, ms: Long): Boolean {
            val until = System.currentTimeMillis() + ms
            while (System.currentTimeMillis() < until) {
                if (closed.get() >= n) return true
                Thread.sleep(10)
            }
            return closed.get() >= n
        }

        override fun close() = server.close()
    }

    private fun port() = java.net.URI(emu.info.endpoint).port

    @Test
    fun metadataOfTheLastCall() {
        rule("""{"method": "GET", "path": "/v1.1/tags", "fault": "error", "status": 503, "count": 1}""")
        emu.client { it.retryPolicy(3u, Duration.ofMillis(10), Duration.ofMillis(50)) }.use { c ->
            assertNull(c.lastMetadata())
            val view = c.withOptions(CallOptions())
            assertNull(view.lastMetadata())
            runBlocking { view.listTags() }
            assertNotNull(view.lastMetadata())
            val m = view.lastMetadata()!!
            assertEquals(200.toUShort(), m.status)
            assertEquals(2u, m.attempts)
            assertEquals(0L, m.clockSkewMs)
            assertEquals(36, m.requestId!!.length)
            runBlocking { view.createTag("kt-meta") }
            assertEquals(1u, view.lastMetadata()!!.attempts)
        }
    }

    @Test
    fun maxAttemptsHeadersAndDeadline() {
        rule("""{"method": "GET", "path": "/v1.1/tags", "fault": "error", "status": 503, "count": 2}""")
        emu.client { it.retryPolicy(1u, Duration.ofMillis(10), Duration.ofMillis(50)) }.use { c ->
            assertThrows<NecIdException.Server> { runBlocking { c.withOptions(CallOptions(maxAttempts = 1u)).listTags() } }
            runBlocking { c.withOptions(CallOptions(maxAttempts = 3u)).listTags() }
            // Signed extra headers (the emulator checks the signature); reserved ones refused.
            runBlocking { c.withOptions(CallOptions(headers = mapOf("X-Correlation-Id" to "kt-4711"))).createTag("kt-traced") }
            val rec = emu.requests("POST", "/v1.1/tags").last().getAsJsonObject("headers")
            assertEquals("kt-4711", rec.get("x-correlation-id").asString)
            val e = assertThrows<NecIdException.InvalidInput> { c.withOptions(CallOptions(headers = mapOf("Authorization" to "x"))) }
            assertEquals("headers", e.field)
            rule("""{"path": "/v1.1/tags", "fault": "latency", "delay": {"ms": 3000}}""")
            val t = System.nanoTime()
            assertThrows<NecIdException.TimedOut> { runBlocking { c.withOptions(CallOptions(deadline = Duration.ofMillis(300))).listTags() } }
            assertTrue(System.nanoTime() - t < 2_500_000_000L)
        }
    }

    @Test
    fun aCancelTokenStopsTheCallOnTheWire() {
        rule("""{"path": "/v1.1/tags", "fault": "latency", "delay": {"ms": 3000}}""")
        WireWatch(port()).use { wire ->
            emu.client { it.endpoint(wire.endpoint) }.use { c ->
                val token = CancelToken()
                val view = c.withOptions(CallOptions(cancel = token))
                thread { Thread.sleep(200); token.cancel() }
                val t = System.nanoTime()
                assertThrows<NecIdException.Cancelled> { runBlocking { view.listTags() } }
                assertTrue(System.nanoTime() - t < 2_500_000_000L)
                assertTrue(wire.waitClosed(1, 1000), "the connection was closed before the answer")
                assertTrue(token.isCancelled())
                assertThrows<NecIdException.Cancelled> { runBlocking { view.health() } }
                assertEquals(1, wire.opened.get(), "a cancelled token sends nothing")
            }
        }
    }

    @Test
    fun coroutineCancellationStopsTheCallOnTheWire() {
        rule("""{"path": "/v1.1/tags", "fault": "latency", "delay": {"ms": 3000}}""")
        WireWatch(port()).use { wire ->
            emu.client { it.endpoint(wire.endpoint) }.use { c ->
                runBlocking {
                    val job = async { c.listTags() }
                    delay(200)
                    job.cancel()
                }
                assertTrue(wire.waitClosed(1, 1000), "cancelling the coroutine closed the connection")
            }
        }
    }

    @Test
    fun logEventsReachTheListenerWithoutSecrets() {
        rule("""{"method": "GET", "path": "/v1.1/tags", "fault": "error", "status": 503, "count": 1}""")
        val events = java.util.Collections.synchronizedList(mutableListOf<Triple<String, String, String>>())
        val listener = object : LogListener {
            override fun onLog(level: String, target: String, message: String) {
                events.add(Triple(level, target, message))
            }
        }
        try {
            setLogListener(listener, "debug")
            emu.client { it.retryPolicy(3u, Duration.ofMillis(10), Duration.ofMillis(50)) }.use { c ->
                val view = c.withOptions(CallOptions())
                runBlocking { view.listTags() }
                val text = events.joinToString("\n") { it.third }
                assertTrue(events.any { it.first == "info" && it.third.contains("retrying") }, text)
                assertTrue(text.contains(view.lastMetadata()!!.requestId!!), text)
                assertTrue(!text.contains(emu.info.secretAccessKey) && !text.contains(emu.info.apiKey))
                setLogListener(listener, "info")
                events.clear()
                rule("""{"method": "GET", "path": "/v1.1/tags", "fault": "error", "status": 503, "count": 1}""")
                runBlocking { view.listTags() }
                assertTrue(events.isNotEmpty() && events.all { it.first in setOf("info", "warn", "error") })
                setLogListener(null, "off")
                events.clear()
                runBlocking { view.health() }
                assertTrue(events.isEmpty())
            }
            assertThrows<NecIdException.InvalidInput> { setLogListener(listener, "loud") }
        } finally {
            setLogListener(null, "off")
        }
    }
}
