package necid

import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.time.Instant
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

class SigningTest {
    private val http = HttpClient.newHttpClient()

    private fun send(method: String, url: String, headers: List<HttpHeader>, body: ByteArray): Int {
        val b = HttpRequest.newBuilder(URI(url)).method(method, HttpRequest.BodyPublishers.ofByteArray(body))
        headers.forEach { b.header(it.name, it.value) }
        return http.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode()
    }

    @Test
    fun signedCustomRequestsAreAcceptedByTheEmulator() {
        Emulator.client().use { c ->
            val url = Emulator.info.endpoint + "/v1.1/tags"
            val signed = c.signRequest("GET", url, emptyList(), ByteArray(0))
            val names = signed.map { it.name.lowercase() }.toSet()
            assertTrue(names.containsAll(setOf("authorization", "x-amz-date", "x-api-key")), names.toString())
            assertEquals(200, send("GET", url, signed, ByteArray(0)))

            // With a body and a signed content-type header.
            val body = """{"newName":"x"}""".toByteArray()
            val ct = HttpHeader("content-type", "application/json")
            val put = c.signRequest("PUT", Emulator.info.endpoint + "/v1.1/tags/no-such-tag", listOf(ct), body)
            // Authenticated, then rejected for the missing tag (not 403).
            assertEquals(404, send("PUT", Emulator.info.endpoint + "/v1.1/tags/no-such-tag", put + ct, body))
            // The same headers on another path fail verification.
            assertEquals(403, send("GET", Emulator.info.endpoint + "/v1.1/subjects", signed, ByteArray(0)))
        }
    }

    @Test
    fun signingAtAFixedTimeIsReproducible() {
        Emulator.client().use { c ->
            val t = Instant.parse("2015-08-30T12:36:00Z")
            val a = c.signRequestAt("GET", "https://example.amazonaws.com/?a=1", emptyList(), ByteArray(0), t)
            val b = c.signRequestAt("GET", "https://example.amazonaws.com/?a=1", emptyList(), ByteArray(0), t)
            assertEquals(a, b)
            assertEquals("20150830T123600Z", a.single { it.name == "x-amz-date" }.value)
            val other = c.signRequestAt("GET", "https://example.amazonaws.com/?a=2", emptyList(), ByteArray(0), t)
            assertNotEquals(a.single { it.name == "authorization" }, other.single { it.name == "authorization" })
        }
        Client(ConfigBuilder().build()).use { anon ->
            val e = assertThrows<NecIdException.InvalidInput> { anon.signRequest("GET", "https://x/", emptyList(), ByteArray(0)) }
            assertTrue(e.reason.contains("credentials"), e.reason)
        }
    }
}
