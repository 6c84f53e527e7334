package necid

import com.google.gson.JsonElement
import com.google.gson.JsonObject
import com.google.gson.JsonParser
import java.io.File
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/**
 * Kotlin runner of the cross-language scenarios (the JSON files in tests/scenarios/; format and
 * normalisation rules in tests/README.md, mirroring tests/reliability/src/scenario.rs).
 *
 * In the normal `mvn test` run it uses this JVM's emulator and only checks the scenarios'
 * expectations. scripts/suites/80-scenarios.sh runs it alone with NECID_SCENARIO_READY
 * (the shared emulator's ready file) and NECID_SCENARIO_OUT (where the transcript goes),
 * then diffs the transcript against the other languages'.
 */
class ScenarioTranscriptTest {
    private fun fmt(v: Any?): String = when (v) {
        null -> "null"
        is JsonElement -> when {
            v.isJsonNull -> "null"
            v.isJsonArray -> v.asJsonArray.joinToString(",", "[", "]") { fmt(it) }
            v.isJsonPrimitive && v.asJsonPrimitive.isNumber -> v.asBigDecimal.stripTrailingZeros().toPlainString()
            v.isJsonPrimitive -> v.asString
            else -> "<object>"
        }
        is List<*> -> v.joinToString(",", "[", "]") { fmt(it) }
        else -> v.toString()
    }

    private fun normaliseStr(s: String, vars: Map<String, String>): String {
        for (name in vars.keys.sorted()) {
            val value = vars.getValue(name)
            if (s == value) return "\${$name}"
            if (s.startsWith("$value:")) return "\${$name}" + s.substring(value.length)
        }
        return s
    }

    private fun normalise(v: Any?, vars: Map<String, String>): Any? = when (v) {
        is String -> normaliseStr(v, vars)
        is List<*> -> v.map { normalise(it, vars) }
        else -> v
    }

    private sealed class Outcome {
        data class Ok(val values: MutableMap<String, Any?>) : Outcome()
        data class Err(val kind: String) : Outcome()
    }

    private fun line(i: Int, op: String, o: Outcome): String {
        val n = i.toString().padStart(2, '0')
        return when (o) {
            is Outcome.Err -> "$n $op error ${o.kind}"
            is Outcome.Ok -> (listOf("$n $op ok") + o.values.keys.sorted().map { "$it=${fmt(o.values[it])}" }).joinToString(" ")
        }
    }

    private fun check(step: JsonObject, o: Outcome): String? {
        val wantErr = step.get("error")?.asString
        if (wantErr != null) {
            return if (o is Outcome.Err && o.kind == wantErr) null else "expected error $wantErr, got $o"
        }
        if (o is Outcome.Err) return "expected success, got error ${o.kind}"
        val values = (o as Outcome.Ok).values
        step.getAsJsonObject("expect")?.entrySet()?.forEach { (k, want) ->
            val got = if (values.containsKey(k)) fmt(values[k]) else null
            if (got != fmt(want)) return "$k: expected ${fmt(want)}, got $got"
        }
        return null
    }

    private suspend fun step(c: Client, faces: File, op: String, s: JsonObject, vars: Map<String, String>): Outcome {
        fun v(k: String): String {
            val x = s.get(k).asString
            return if (x.startsWith("\${") && x.endsWith("}")) vars.getValue(x.substring(2, x.length - 1)) else x
        }
        fun img(k: String): ByteArray = s.get(k).asString.let { if (it.isEmpty()) ByteArray(0) else File(faces, it).readBytes() }
        val tags = s.getAsJsonArray("tags")?.map { it.asString } ?: emptyList()
        return try {
            Outcome.Ok(
                when (op) {
                    "create_tag" -> { c.createTag(v("name")); mutableMapOf() }
                    "rename_tag" -> { c.renameTag(v("name"), v("new_name")); mutableMapOf() }
                    "delete_tag" -> { c.deleteTag(v("name")); mutableMapOf() }
                    "list_tags" -> mutableMapOf("tags" to c.listTags().map { it.name })
                    "register_subject" -> c.registerSubject(img("image"), tags)
                        .let { mutableMapOf("subjectId" to it.subjectId, "eventId" to it.eventId) }
                    "register_event" -> mutableMapOf("eventId" to c.registerEvent(v("subject"), img("image"), tags).eventId)
                    "list_events" -> mutableMapOf("events" to c.listEvents(v("subject")).events.map { it.eventId })
                    "unregister_subject" -> { c.unregisterSubject(v("subject")); mutableMapOf() }
                    "search" -> {
                        val threshold = s.get("threshold")?.asLong?.toUInt()
                        val r = c.search(img("image"), threshold = threshold, tags = tags)
                        mutableMapOf("candidates" to r.candidates.map { "${it.subjectId}:${it.score}" })
                    }
                    "verify_subject" -> c.verifySubject(v("subject"), img("image"))
                        .let { mutableMapOf("verified" to it.verified, "score" to it.score) }
                    "verify_faces" -> c.verifyFaces(img("face"), img("probe"))
                        .let { mutableMapOf("verified" to it.verified, "score" to it.score) }
                    "extract_faces" -> mutableMapOf("faces" to c.extractFaces(img("image")).size)
                    else -> error("unknown op $op")
                },
            )
        } catch (e: NecIdException) {
            Outcome.Err(e.kind)
        }
    }

    @Test
    fun scenariosHoldAndPrintTranscripts(): Unit = runBlocking {
        val readyFile = System.getenv("NECID_SCENARIO_READY")?.takeIf { it.isNotEmpty() }
        val builder = if (readyFile != null) {
            val o = JsonParser.parseString(File(readyFile).readText()).asJsonObject
            ConfigBuilder().endpoint(o.get("endpoint").asString).tenantEndpoint(o.get("tenantEndpoint").asString)
                .region(o.get("region").asString).accessKeyId(o.get("accessKeyId").asString)
                .secretAccessKey(o.get("secretAccessKey").asString)
        } else {
            Emulator.builder()
        }
        val faces = File(repoRoot, "cli/assets/faces")
        val files = File(repoRoot, "tests/scenarios").listFiles { f -> f.name.endsWith(".json") }!!.sortedBy { it.name }
        assertTrue(files.isNotEmpty(), "no scenarios")
        val lines = mutableListOf<String>()
        val failures = mutableListOf<String>()
        Client(builder.build()).use { tenant ->
            for (file in files) {
                val scenario = JsonParser.parseString(file.readText()).asJsonObject
                val g = tenant.createGallery(NewGallery(name = "scenario-kotlin-" + ProcessHandle.current().pid(), size = 1000uL))
                val key = checkNotNull(g.apiKey) { "createGallery returned no API key" }.expose()
                lines += "# scenario ${scenario.get("name")?.asString ?: ""}"
                val vars = mutableMapOf<String, String>()
                Client(builder.apiKey(key).build()).use { c ->
                    scenario.getAsJsonArray("steps").forEachIndexed { idx, el ->
                        val s = el.asJsonObject
                        val op = s.get("op").asString
                        val o = step(c, faces, op, s, vars)
                        if (o is Outcome.Ok) {
                            s.getAsJsonObject("capture")?.entrySet()?.forEach { (name, key) ->
                                vars[name] = o.values[key.asString] as String
                            }
                            for (k in o.values.keys.toList()) {
                                val n = normalise(o.values[k], vars)
                                o.values[k] = if (n is List<*> && k != "candidates") n.sortedBy { fmt(it) } else n
                            }
                        }
                        check(s, o)?.let { failures += "${file.name}: step ${idx + 1} ($op): $it" }
                        lines += line(idx + 1, op, o)
                    }
                }
                tenant.deleteGallery(g.id)
            }
        }
        val transcript = lines.joinToString("\n", postfix = "\n")
        System.getenv("NECID_SCENARIO_OUT")?.takeIf { it.isNotEmpty() }?.let { File(it).writeText(transcript) }
        assertTrue(failures.isEmpty(), failures.joinToString("\n") + "\n" + transcript)
    }
}
