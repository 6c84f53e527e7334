package necid

import com.google.gson.JsonObject
import com.google.gson.JsonParser
import java.io.File
import java.time.Instant
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.TestFactory

/** The shared SigV4 vectors (every JSON file in tests/vectors): signRequestAt must reproduce each. */
class VectorsTest {
    @TestFactory
    fun sharedSigningVectors(): List<DynamicTest> {
        val files = File(repoRoot, "tests/vectors").listFiles { f -> f.name.endsWith(".json") }.orEmpty().sortedBy { it.name }
        assertTrue(files.isNotEmpty(), "no vectors in ${File(repoRoot, "tests/vectors")}")
        return files.map { f -> DynamicTest.dynamicTest(f.nameWithoutExtension) { check(JsonParser.parseString(f.readText()).asJsonObject) } }
    }

    private fun JsonObject.str(k: String): String? = get(k)?.takeUnless { it.isJsonNull }?.asString

    private fun check(v: JsonObject) {
        val creds = v.getAsJsonObject("credentials")
        var b = ConfigBuilder()
            .region(v.str("region")!!)
            .service(v.str("service")!!)
            .accessKeyId(creds.str("access_key_id")!!)
            .secretAccessKey(creds.str("secret_access_key")!!)
        creds.str("session_token")?.let { b = b.sessionToken(it) }
        v.str("api_key")?.let { b = b.apiKey(it) }
        val req = v.getAsJsonObject("request")
        val headers = req.getAsJsonArray("headers").map { h -> h.asJsonArray.let { HttpHeader(it[0].asString, it[1].asString) } }
        val got = Client(b.build()).use { c ->
            c.signRequestAt(req.str("method")!!, req.str("url")!!, headers, req.str("body")!!.toByteArray(Charsets.UTF_8), Instant.parse(v.str("time")!!))
        }
        val expected = v.getAsJsonObject("expected").getAsJsonObject("headers").entrySet().associate { (k, e) -> k.lowercase() to e.asString }
        assertEquals(expected.size, got.size, "header count: $got")
        assertEquals(expected, got.associate { it.name.lowercase() to it.value })
    }
}
