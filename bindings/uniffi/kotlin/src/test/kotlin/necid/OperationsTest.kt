package necid

import java.io.File
import java.time.Duration
import java.util.UUID
import kotlinx.coroutines.flow.toList
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

/** Every operation of the client against the emulator, each class in its own gallery. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OperationsTest {
    private val gallery: Gallery
    private val client: Client

    init {
        val (g, c) = Emulator.galleryClient()
        gallery = g
        client = c
    }

    @AfterAll
    fun closeClient() = client.close()

    @Test
    fun health(): Unit = runBlocking {
        val h = client.health()
        assertEquals("OK", h.status.uppercase())
        assertTrue(h.ok)
        // Unsigned (no credentials) works too.
        Client(ConfigBuilder().endpoint(Emulator.info.endpoint).build()).use { assertTrue(it.health().ok) }
    }

    init {
        // The service only accepts tags that exist.
        runBlocking { listOf("staff", "vip", "second", "space", "bulk").forEach { client.createTag(it) } }
    }

    @Test
    fun subjectLifecycle(): Unit = runBlocking {
        val reg = client.registerSubject(face("obama.jpg"), listOf("staff"))
        assertTrue(reg.subjectId.isNotEmpty())
        val attrs = checkNotNull(reg.attributes)
        assertNotNull(attrs.faceArea)
        assertTrue(attrs.faceQualityScore!! in 0.0..1.0)

        val updated = client.updateSubject(reg.subjectId, face("obama2.jpg"), listOf("staff", "vip"))
        assertEquals(reg.subjectId, updated.subjectId)

        val events = client.listEvents(reg.subjectId)
        assertEquals(reg.subjectId, events.subjectId)
        assertTrue(events.events.isNotEmpty())

        client.unregisterSubject(reg.subjectId)
        val e = assertThrows<NecIdException.NotFound> { runBlocking { client.listEvents(reg.subjectId) } }
        assertEquals(404, e.status)
    }

    @Test
    fun eventLifecycle(): Unit = runBlocking {
        val subject = client.registerSubject(face("biden.jpg"))
        val ev = client.registerEvent(subject.subjectId, face("obama3.jpg"), listOf("second"))
        assertEquals(subject.subjectId, ev.subjectId)
        val eventId = checkNotNull(ev.eventId)
        val before = client.listEvents(subject.subjectId).events.map { it.eventId }
        assertTrue(eventId in before, "$eventId in $before")

        val upd = client.updateEvent(subject.subjectId, eventId, face("obama2.jpg"))
        assertEquals(subject.subjectId, upd.subjectId)
        assertEquals(eventId, upd.eventId)

        client.unregisterEvent(subject.subjectId, eventId)
        val after = client.listEvents(subject.subjectId).events.map { it.eventId }
        assertFalse(eventId in after, "$eventId still in $after")
        client.unregisterSubject(subject.subjectId)
    }

    @Test
    fun extractSearchVerify(): Unit = runBlocking {
        val faces = client.extractFaces(face("obama.jpg"))
        assertEquals(1, faces.size)
        assertNotNull(faces[0].leftEyeCenter)
        assertEquals(1, client.extractFaces(face("obama.jpg"), 1u).size)

        val reg = client.registerSubject(face("astronaut.png"), listOf("space"))
        val hit = client.search(face("astronaut.png"), threshold = 9000u, limit = 5u)
        val top = hit.candidates.first()
        assertEquals(reg.subjectId, top.subjectId)
        assertEquals(9999u, top.score)
        assertNotNull(hit.attributes)
        // Tag filter: no subject has this tag, so no candidates (the service's 404 is an empty list).
        val unused = "unused-" + UUID.randomUUID().toString().take(8)
        client.createTag(unused)
        val none = client.search(face("astronaut.png"), tags = listOf(unused))
        assertTrue(none.candidates.isEmpty())

        val yes = client.verifySubject(reg.subjectId, face("astronaut.png"))
        assertTrue(yes.verified)
        assertEquals(reg.subjectId, yes.subjectId)
        assertEquals(9999u, yes.score)
        val no = client.verifySubject(reg.subjectId, face("biden.jpg"))
        assertFalse(no.verified)

        val same = client.verifyFaces(face("obama.jpg"), face("obama.jpg"))
        assertTrue(same.verified)
        assertEquals(9999u, same.score)
        // Different pictures: not verified (the service's 404), or at most a low score.
        val different = client.verifyFaces(face("obama.jpg"), face("biden.jpg"))
        assertTrue(!different.verified || checkNotNull(different.score) < 9000u, different.toString())
        client.unregisterSubject(reg.subjectId)
    }

    @Test
    fun tags(): Unit = runBlocking {
        val name = "tag-" + UUID.randomUUID().toString().take(8)
        client.createTag(name)
        assertTrue(client.listTags().any { it.name == name })
        client.renameTag(name, "$name-renamed")
        val names = client.listTags().map { it.name }
        assertTrue("$name-renamed" in names && name !in names, names.toString())
        client.deleteTag("$name-renamed")
        assertFalse(client.listTags().any { it.name == "$name-renamed" })
    }

    @Test
    fun listSubjectsAndPaginator(): Unit = runBlocking {
        val (_, c) = Emulator.galleryClient()
        c.use {
            val ids = listOf("obama.jpg", "obama2.jpg", "obama3.jpg", "biden.jpg", "astronaut.png")
                .map { f -> c.registerSubject(face(f)).subjectId }
            val first = c.listSubjects(0u, 2u, SortDirection.ASC)
            assertEquals(2, first.subjects.size)
            assertEquals(5uL, first.total)
            assertTrue(first.subjects.all { it.active })

            val pages = c.subjectPages(length = 2u).toList()
            assertEquals(listOf(2, 2, 1), pages.map { it.subjects.size })
            assertEquals(ids.toSet(), pages.flatMap { p -> p.subjects.map { it.subjectId } }.toSet())
            assertEquals(5, c.subjectEntries(length = 3u, dir = SortDirection.DESC).toList().size)

            // The raw paginator object: null after the last page, and stays null.
            c.subjectsPaginator(10u, null).use { p ->
                assertEquals(5, p.nextPage()!!.subjects.size)
                assertNull(p.nextPage())
                assertNull(p.nextPage())
            }
        }
    }

    @Test
    fun bulkRegister(): Unit = runBlocking {
        val (g, c) = Emulator.galleryClient()
        c.use {
            c.createTag("bulk")
            val bucket = File(Emulator.info.bucketDir, g.id).apply { mkdirs() }
            face("obama.jpg").let { File(bucket, "one.jpg").writeBytes(it) }
            face("biden.jpg").let { File(bucket, "two.jpg").writeBytes(it) }
            val batchId = c.bulkRegister(listOf(
                BulkRegistration("one.jpg", listOf("bulk")),
                BulkRegistration("two.jpg"),
                BulkRegistration("missing.jpg"),
            ))
            assertTrue(batchId.isNotEmpty())

            val seen = mutableListOf<BulkProgress>()
            val done = c.waitForBulkRegister(batchId, WaitOptions(pollInterval = Duration.ofMillis(20))) {
                synchronized(seen) { seen += it }
            }
            assertTrue(done.done)
            assertEquals(3uL, done.total)
            assertEquals(3uL, done.processed)
            assertEquals(2uL, done.succeeded)
            assertEquals(1uL, done.failed)
            assertEquals(done, synchronized(seen) { seen.last() })
            val ok = done.records.filter { it.succeeded }
            assertTrue(ok.all { it.subjectId != null && it.eventId != null })
            val failed = done.records.single { !it.succeeded }
            assertEquals("missing.jpg", failed.filename)
            assertNotNull(failed.reason)

            val page = c.bulkRegisterProgress(batchId)
            assertEquals(batchId, page.batchId)
            assertEquals(3, c.bulkProgressPages(batchId).toList().sumOf { it.processed.size })

            // The generated form with a listener object and default options works too.
            val again = c.waitForBulkRegister(batchId, null, null)
            assertEquals(done.records.toSet(), again.records.toSet())
        }
    }

    @Test
    fun tenantGalleriesAndApplications(): Unit = runBlocking {
        Emulator.tenant().use { t ->
            val g = t.createGallery(NewGallery(name = "tenant-" + UUID.randomUUID(), description = "d", size = 500uL))
            assertNotNull(g.apiKey)
            assertFalse(g.toString().contains(g.apiKey!!.expose()), "toString must not show the API key")
            assertTrue(t.listGalleries().any { it.id == g.id })
            val details = t.getGallery(g.id)
            assertEquals(g.id, details.gallery.id)
            assertTrue(details.applications.isNotEmpty())

            val renamed = t.updateGallery(g.id, GalleryUpdate(name = "renamed", size = 600uL))
            assertEquals("renamed", renamed.name)
            assertEquals(600uL, renamed.size)

            val app = t.createApplication(NewApplication(name = "app", galleryId = g.id, faceMinimumQualityScore = 0.6))
            assertNotNull(app.apiKey)
            assertEquals(app.id, t.getApplication(app.id).id)
            assertTrue(t.listApplications().any { it.id == app.id })
            val upd = t.updateApplication(app.id, ApplicationUpdate(description = "described"))
            assertEquals("described", upd.description)

            // The new application's key works against the biometric API.
            Client(Emulator.builder().apiKey(app.apiKey!!.expose()).build()).use { c ->
                assertTrue(c.listTags().isEmpty())
            }
            t.deleteApplication(app.id)
            assertThrows<NecIdException.NotFound> { runBlocking { t.getApplication(app.id) } }
            t.deleteGallery(g.id)
            assertThrows<NecIdException.NotFound> { runBlocking { t.getGallery(g.id) } }
        }
    }

    @Test
    fun configAccessorsHideSecrets() {
        val cfg = Emulator.builder().apiKey("k-123").userAgentSuffix("kotlin-test").build()
        assertEquals(Emulator.info.endpoint, cfg.endpoint())
        assertEquals(Emulator.info.accessKeyId, cfg.accessKeyId())
        assertTrue(cfg.hasCredentials() && cfg.hasApiKey() && !cfg.hasSessionToken())
        assertEquals("kotlin-test", cfg.userAgentSuffix())
        assertEquals(3u, cfg.maxAttempts())
        Client(cfg).use { c ->
            assertEquals(0L, c.clockSkewMs())
            assertEquals(cfg.endpoint(), c.config().endpoint())
            assertEquals("eu-west-1", c.config().toBuilder().region("eu-west-1").build().region())
        }
        val bad = assertThrows<NecIdException.InvalidInput> { ConfigBuilder().endpoint("ftp://x").build() }
        assertTrue(bad.reason.contains("endpoint"), bad.reason)
    }
}
