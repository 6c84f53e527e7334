package necid

import java.io.File
import java.time.Duration
import java.time.Instant
import java.util.concurrent.atomic.AtomicInteger
import kotlinx.coroutines.runBlocking
import necid.testing.EmulatorInfo
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/**
 * Refreshable credentials through the UniFFI callback interface: a provider asked before a
 * request when the client holds none or they expire within 10 s, a rotation in the middle of
 * a bulk wait (the emulator accepts the old and the new key: `--extra-access-key`; its
 * first progress poll answers 503 once, so the wait is retrying when the provider rotates),
 * and the new key being what signs afterwards.
 */
class CredentialsTest {
    private val rotatedId = "AKIDROTATEDEXAMPLE"
    private val rotatedSecret = "rotated-secret-value-0123456789"

    /** The dev key for the first [rotateAfter] answers, then [then]. */
    private class Rotating(
        val info: EmulatorInfo,
        val then: Pair<String, String>,
        val rotateAfter: Int,
        val validFor: Duration?,
    ) : CredentialsProvider {
        val calls = AtomicInteger()
        val rotated = AtomicInteger()
        override fun credentials(): Credentials {
            val n = calls.incrementAndGet()
            val key = if (n > rotateAfter) { rotated.incrementAndGet(); then } else info.accessKeyId to info.secretAccessKey
            return Credentials(key.first, key.second, "session-token-value", validFor?.let { Instant.now().plus(it) })
        }
    }

    /** An emulator of the test's own (through necid.testing) that also accepts the rotated
     * key; [withFaults]: its first bulk progress poll answers 503. Closed by the caller. */
    private fun emulator(withFaults: Boolean): necid.testing.Emulator = necid.testing.Emulator.start(
        emulatorOptions(
            faults = if (withFaults) {
                """[{"method": "GET", "path": "/v1.1/jobs/bulkregister/**",
                    "fault": "error", "status": 503, "retryAfter": 0, "count": 1}]"""
            } else {
                null
            },
            extraArgs = listOf("--extra-access-key", "$rotatedId:$rotatedSecret"),
        ),
    )

    private fun client(info: EmulatorInfo, p: CredentialsProvider, attempts: UInt = 1u): Client = Client(
        ConfigBuilder().endpoint(info.endpoint).tenantEndpoint(info.tenantEndpoint).apiKey(info.apiKey)
            .retryPolicy(attempts, Duration.ofMillis(5), Duration.ofMillis(5))
            .credentialsProvider(p).build(),
    )

    @Test
    fun credentialsAreCachedUntilShortlyBeforeExpiry() = emulator(false).use { emu ->
        runBlocking { cachedUntilShortlyBeforeExpiry(emu.info) }
    }

    private suspend fun cachedUntilShortlyBeforeExpiry(info: EmulatorInfo) {
        val hour = Rotating(info, rotatedId to rotatedSecret, Int.MAX_VALUE, Duration.ofHours(1))
        client(info, hour).use { c -> repeat(3) { c.listTags() } }
        assertEquals(1, hour.calls.get())
        val soon = Rotating(info, rotatedId to rotatedSecret, Int.MAX_VALUE, Duration.ofSeconds(5))
        client(info, soon).use { c -> repeat(3) { c.listTags() } }
        assertEquals(3, soon.calls.get())
    }

    private fun bulkWait(then: Pair<String, String>): Pair<Result<BulkProgress>, Rotating> = emulator(true).use { emu ->
        val info = emu.info
        val bucket = File(info.bucketDir, "default").apply { mkdirs() }
        File(bucket, "obama.jpg").writeBytes(face("obama.jpg"))
        File(bucket, "biden.jpg").writeBytes(face("biden.jpg"))
        val p = Rotating(info, then, 2, Duration.ZERO)
        val result = client(info, p, 3u).use { c ->
            runCatching {
                runBlocking {
                    val batch = c.bulkRegister(listOf(BulkRegistration("obama.jpg"), BulkRegistration("biden.jpg")))
                    c.waitForBulkRegister(batch, WaitOptions(pollInterval = Duration.ofMillis(20))) {}
                }
            }
        }
        result to p
    }

    @Test
    fun aRotationInTheMiddleOfABulkWait() {
        val (result, p) = bulkWait(rotatedId to rotatedSecret)
        val done = result.getOrThrow()
        assertTrue(done.done)
        assertEquals(2uL, done.succeeded)
        assertTrue(p.rotated.get() >= 1)
    }

    @Test
    fun afterTheRotationTheNewKeySigns() {
        val (result, p) = bulkWait("AKIDUNKNOWN" to "unknown-secret")
        val e = result.exceptionOrNull()
        assertTrue(e is NecIdException.Auth, "$e")
        assertFalse(e.toString().contains("unknown-secret"))
        assertEquals(1, p.rotated.get())
    }

    @Test
    fun aThrowingProviderFailsTheCall() = emulator(false).use { emu ->
        val info = emu.info
        val calls = AtomicInteger()
        val broken = object : CredentialsProvider {
            override fun credentials(): Credentials {
                calls.incrementAndGet()
                throw NecIdException.Auth("token service unavailable", null, null, null, null, null)
            }
        }
        client(info, broken, 3u).use { c ->
            val e = assertThrows<NecIdException.Auth> { runBlocking { c.listTags() } }
            assertTrue(e.reason.contains("token service unavailable"), e.reason)
        }
        assertEquals(1, calls.get())
        assertFalse(Credentials("AKID", "s3cret-value").toString().contains("s3cret-value"))
    }
}
