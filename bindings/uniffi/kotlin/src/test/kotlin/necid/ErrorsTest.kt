package necid

import java.net.ServerSocket
import java.time.Duration
import java.util.UUID
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows

/** Every error kind, with the fields each carries. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ErrorsTest {
    private val client: Client = Emulator.galleryClient().second

    @AfterAll
    fun closeClient() = client.close()

    /** Fields common to every error that came from an emulator response. */
    private fun assertFromService(e: NecIdException, kind: String, status: Int, code: Long?, type: String?) {
        val d = e.details()
        assertEquals(kind, d.kind)
        assertEquals(kind, e.kind)
        assertEquals(status, d.status)
        assertEquals(code, d.errorCode)
        assertEquals(type, d.errorType)
        assertNotNull(d.requestId, "request id of $d")
        assertTrue(d.reason.isNotEmpty())
        // Kotlin's message renders every field.
        assertTrue(e.message!!.contains("status=$status"), e.message)
    }

    @Test
    fun invalidInputIsRaisedBeforeSending() {
        val e = assertThrows<NecIdException.InvalidInput> { runBlocking { client.registerSubject(ByteArray(0)) } }
        assertTrue(e.reason.contains("face"), e.reason)
        assertNull(e.status)
        assertNull(e.errorCode)
        assertNull(e.errorType)
        assertNull(e.requestId)
        assertEquals("face", e.field)
        val bad = assertThrows<NecIdException.InvalidInput> { runBlocking { client.listSubjects(0u, 0u) } }
        assertTrue(bad.reason.contains("length"), bad.reason)
        assertEquals("length", bad.field)
        assertEquals("length", bad.details().field)
        assertThrows<NecIdException.InvalidInput> { runBlocking { client.extractFaces(face("obama.jpg"), 0u) } }
        assertThrows<NecIdException.InvalidInput> { runBlocking { client.search(face("obama.jpg"), threshold = 10000u) } }
        assertThrows<NecIdException.InvalidInput> { runBlocking { client.bulkRegister(emptyList()) } }
        assertThrows<NecIdException.InvalidInput> { runBlocking { client.verifySubject("", face("obama.jpg")) } }
    }

    @Test
    fun auth() {
        val wrong = Client(Emulator.builder().secretAccessKey("wrong-secret").apiKey(Emulator.info.apiKey).build())
        wrong.use {
            val e = assertThrows<NecIdException.Auth> { runBlocking { it.listTags() } }
            assertEquals(403, e.status)
            assertNotNull(e.requestId)
            assertFalse(e.message!!.contains("wrong-secret"), "the secret must not appear in errors")
        }
        val noKey = Client(Emulator.builder().apiKey("not-a-key").build())
        noKey.use {
            val e = assertThrows<NecIdException.Auth> { runBlocking { it.listTags() } }
            assertEquals(403, e.status)
            assertFalse(e.message!!.contains("not-a-key"))
        }
    }

    @Test
    fun notFound() {
        val e = assertThrows<NecIdException.NotFound> { runBlocking { client.unregisterSubject("no-such-subject") } }
        assertEquals(404, e.status)
        assertNotNull(e.requestId)
    }

    @Test
    fun invalidRequest() {
        // JPEG magic bytes followed by garbage: passes the SDK's check, the service cannot decode it.
        val notReallyJpeg = byteArrayOf(0xFF.toByte(), 0xD8.toByte(), 0xFF.toByte(), 0xE0.toByte()) + ByteArray(64) { 7 }
        val e = assertThrows<NecIdException.InvalidRequest> { runBlocking { client.registerSubject(notReallyJpeg) } }
        assertFromService(e, "InvalidRequest", 400, 1001, "InvalidRequest")
    }

    @Test
    fun duplicate(): Unit = runBlocking {
        val name = "dup-" + UUID.randomUUID().toString().take(8)
        client.createTag(name)
        val e = assertThrows<NecIdException.Duplicate> { runBlocking { client.createTag(name) } }
        assertFromService(e, "Duplicate", 400, 1002, "Duplicate")
        client.deleteTag(name)
    }

    @Test
    fun noFace() {
        val e = assertThrows<NecIdException.NoFace> { runBlocking { client.registerSubject(png(64, 64)) } }
        assertFromService(e, "NoFace", 400, 2001, "NoFace")
    }

    @Test
    fun multipleFaces() {
        // The emulator's convention: a picture twice as wide as tall holds two faces.
        val e = assertThrows<NecIdException.MultipleFaces> { runBlocking { client.registerSubject(png(256, 128, seed = 1)) } }
        assertFromService(e, "MultipleFaces", 400, 2003, "MultipleFaces")
    }

    @Test
    fun poorQuality() {
        val (_, strict) = Emulator.galleryClient(minQuality = 0.9)
        strict.use {
            val e = assertThrows<NecIdException.PoorQuality> { runBlocking { it.registerSubject(png(48, 48, seed = 2)) } }
            assertFromService(e, "PoorQuality", 400, 2002, "PoorQuality")
        }
    }

    @Test
    fun serviceTimeoutThrottledServerAndDecode() {
        FaultServer { ex ->
            when (ex.requestURI.path) {
                "/v1.1/tags" -> ex.reply(400, """{"message":"gave up","errorCode":"1003","errorType":"Timeout"}""", "x-amzn-requestid" to "req-timeout")
                "/v1.1/health" -> ex.reply(429, """{"message":"slow down"}""", "x-amzn-requestid" to "req-429")
                "/v1.1/subjects" -> ex.reply(503, """{"message":"down"}""", "x-amzn-requestid" to "req-503")
                else -> ex.reply(200, "this is not json", "x-amzn-requestid" to "req-decode")
            }
        }.use { server ->
            server.client().use { c ->
                val t = assertThrows<NecIdException.Timeout> { runBlocking { c.listTags() } }
                assertEquals(400, t.status); assertEquals(1003L, t.errorCode); assertEquals("Timeout", t.errorType)
                assertEquals("req-timeout", t.requestId); assertEquals("gave up", t.reason)

                val th = assertThrows<NecIdException.Throttled> { runBlocking { c.health() } }
                assertEquals(429, th.status); assertEquals("req-429", th.requestId)

                val s = assertThrows<NecIdException.Server> { runBlocking { c.listSubjects() } }
                assertEquals(503, s.status); assertEquals("req-503", s.requestId)

                val d = assertThrows<NecIdException.Decode> { runBlocking { c.listEvents("s1") } }
                assertEquals(200, d.status); assertEquals("req-decode", d.requestId)
                assertFalse(d.message!!.contains("fault-api-key") || d.message!!.contains("fault-secret"))
            }
        }
    }

    @Test
    fun network() {
        val port = ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress()).use { it.localPort } // closed again: refused
        Client(ConfigBuilder().endpoint("http://127.0.0.1:$port").retryPolicy(1u, Duration.ofMillis(1), Duration.ofMillis(1)).build()).use { c ->
            val e = assertThrows<NecIdException.Network> { runBlocking { c.health() } }
            assertNull(e.status)
            assertEquals("Network", e.details().kind)
        }
    }

    @Test
    fun timedOut() {
        val release = CountDownLatch(1)
        FaultServer { release.await(30, TimeUnit.SECONDS) }.use { server ->
            server.client(requestTimeout = Duration.ofMillis(300)).use { c ->
                val e = assertThrows<NecIdException.TimedOut> { runBlocking { c.health() } }
                assertNull(e.status)
            }
            release.countDown()
        }
    }

    @Test
    fun waitForBulkRegisterDeadlineIsTimedOutAndListenerFailureIsReported() {
        // A job whose records never get processed (the emulator finishes jobs on its own).
        FaultServer { ex ->
            ex.reply(200, """{"batchId":"b1","processed":[{"id":"op1","filename":"a.jpg","status":"New"}]}""")
        }.use { server ->
            server.client().use { c ->
                var polls = 0
                val e = assertThrows<NecIdException.TimedOut> {
                    runBlocking {
                        c.waitForBulkRegister("b1", WaitOptions(pollInterval = Duration.ofMillis(5), timeout = Duration.ofMillis(60))) {
                            assertFalse(it.done)
                            assertEquals(1uL, it.total)
                            polls++
                        }
                    }
                }
                assertTrue(e.reason.contains("b1"), e.reason)
                assertTrue(polls >= 1)
                // A listener that throws stops the wait with an error instead of crashing anything.
                val failed = assertThrows<NecIdException.InvalidInput> {
                    runBlocking { c.waitForBulkRegister("b1") { throw IllegalStateException("listener bug") } }
                }
                assertTrue(failed.reason.contains("listener bug"), failed.reason)
                assertNull(failed.status)
                // A NecIdException thrown by the listener comes back unchanged.
                val own = NecIdException.Throttled("mine", 429, null, null, "r1", null)
                val same = assertThrows<NecIdException.Throttled> {
                    runBlocking { c.waitForBulkRegister("b1") { throw own } }
                }
                assertEquals("mine", same.reason)
                assertEquals("r1", same.requestId)
                // ... and the client is still fine.
                assertThrows<NecIdException.TimedOut> {
                    runBlocking { c.waitForBulkRegister("b1", WaitOptions(pollInterval = Duration.ofMillis(5), timeout = Duration.ofMillis(20))) }
                }
            }
        }
    }
}
