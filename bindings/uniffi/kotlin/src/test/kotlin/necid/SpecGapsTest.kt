package necid

import java.io.File
import java.time.Duration
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/**
 * Issue 16's spec gaps against emulators of the tests' own (necid.testing): listSubjects'
 * default length (1000, the reference's), tags changed and cleared without a new face
 * (null = not sent, an empty list = cleared), renameTag in both reference forms
 * (`renameTagForm`; the default falls back on a v1.1 deployment, `--rename-tag-routes`), and
 * a bulk record's raw `attributesJson` kept when it does not decode (a `rewrite` fault rule).
 */
class SpecGapsTest {
    private fun start(record: Boolean = false, faults: String? = null, vararg args: String) =
        necid.testing.Emulator.start(emulatorOptions(record = record, faults = faults, extraArgs = args.toList()))

    private suspend fun found(c: Client, tags: List<String>): List<String> =
        c.search(face("obama.jpg"), tags = tags).candidates.map { it.subjectId }

    @Test
    fun listSubjectsAsksForTheReferenceDefaultLength() = start(record = true).use { emu ->
        emu.newGallery().use { g ->
            runBlocking {
                g.client.registerSubject(face("obama.jpg"))
                emu.clearRequests()
                assertEquals(1, g.client.listSubjects().subjects.size)
                assertEquals(1, g.client.subjectPages().toListSize())
            }
        }
        val queries = emu.requests("GET", "/v1.1/subjects").map { it.get("query").asString }
        assertEquals(2, queries.size)
        assertTrue(queries.all { it.contains("length=1000") }, "$queries")
    }

    private suspend fun kotlinx.coroutines.flow.Flow<SubjectPage>.toListSize(): Int {
        var n = 0
        collect { n += it.subjects.size }
        return n
    }

    @Test
    fun tagsChangeAndClearWithoutANewFace() = start(record = true).use { emu ->
        emu.newGallery().use { g ->
            runBlocking {
                val c = g.client
                c.createTag("staff")
                c.createTag("visitor")
                val reg = c.registerSubject(face("obama.jpg"), listOf("staff"))
                val sid = reg.subjectId
                emu.clearRequests()

                val up = c.updateSubject(sid, null, listOf("visitor"))
                assertEquals(reg.eventId, up.eventId)
                assertEquals(listOf(sid), found(c, listOf("visitor")))
                assertEquals(emptyList<String>(), found(c, listOf("staff")))
                c.updateSubject(sid, face("obama.jpg")) // tags null: not sent, kept
                assertEquals(listOf(sid), found(c, listOf("visitor")))
                c.updateSubject(sid, tags = emptyList()) // cleared
                assertEquals(emptyList<String>(), found(c, listOf("visitor")))
                assertEquals(listOf(sid), found(c, emptyList()))

                val event = c.listEvents(sid).events.first().eventId
                c.updateEvent(sid, event, null, listOf("staff"))
                assertEquals(listOf(sid), found(c, listOf("staff")))
                c.updateEvent(sid, event, tags = emptyList())
                assertEquals(emptyList<String>(), found(c, listOf("staff")))

                val e = assertThrows<NecIdException.InvalidInput> { runBlocking { c.updateSubject(sid) } }
                assertEquals("face", e.field)
            }
        }
        val bodies = emu.requests("PUT").map { it.getAsJsonObject("requestBody") }
        assertEquals("""{"tags":["visitor"]}""", bodies[0].toString())
        assertTrue(bodies[1].has("face") && !bodies[1].has("tags"), "${bodies[1]}")
        assertEquals("""{"tags":[]}""", bodies[2].toString())
        assertEquals("""{"tags":[]}""", bodies[4].toString())
    }

    @Test
    fun renameTagAgainstEitherReferenceRevision() {
        for (routes in listOf("both", "body", "path")) {
            start(false, null, "--rename-tag-routes", routes).use { emu ->
                runBlocking {
                    emu.client().use { c ->
                        c.createTag("staff")
                        c.renameTag("staff", "employees") // renameTagForm AUTO, the default
                        c.renameTag("employees", "team a")
                        assertEquals(listOf("team a"), c.listTags().map { it.name }, routes)
                        for ((form, served) in listOf(RenameTagForm.BODY to (routes != "path"), RenameTagForm.PATH to (routes != "body"))) {
                            emu.client { it.renameTagForm(form) }.use { fixed ->
                                if (served) {
                                    fixed.renameTag("team a", "team b")
                                    fixed.renameTag("team b", "team a")
                                } else {
                                    val e = assertThrows<NecIdException.Auth> { runBlocking { fixed.renameTag("team a", "team b") } }
                                    assertEquals(403, e.details().status?.toInt())
                                }
                            }
                        }
                        assertEquals(listOf("team a"), c.listTags().map { it.name }, routes)
                        assertThrows<NecIdException.NotFound> { runBlocking { c.renameTag("ghost", "spirit") } }
                    }
                }
            }
        }
        assertEquals(RenameTagForm.AUTO, ConfigBuilder().build().renameTagForm())
    }

    @Test
    fun bulkProgressKeepsAnUnreadableAttributesJson() {
        val rewrite = """[{"method": "GET", "path": "/v1.1/jobs/bulkregister/**",
            "fault": "rewrite", "set": {"/processed/*/attributesJson": "..."}}]"""
        start(faults = rewrite).use { emu ->
            val bucket = File(emu.info.bucketDir, "default").apply { mkdirs() }
            File(bucket, "obama.jpg").writeBytes(face("obama.jpg"))
            emu.client().use { c ->
                runBlocking {
                    val batch = c.bulkRegister(listOf(BulkRegistration("obama.jpg")))
                    val done = c.waitForBulkRegister(batch, WaitOptions(pollInterval = Duration.ofMillis(20))) {}
                    val rec = done.records.single()
                    assertTrue(rec.succeeded)
                    assertNull(rec.attributes)
                    assertEquals("...", rec.attributesJson)
                    emu.clearFaults()
                    val page = c.bulkRegisterProgress(batch)
                    assertNotNull(page.processed.single().attributes)
                    assertNull(page.processed.single().attributesJson)
                    assertFalse(page.processed.single().attributesJson == "...")
                }
            }
        }
    }
}
