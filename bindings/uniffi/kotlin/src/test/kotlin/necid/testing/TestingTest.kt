package necid.testing

import java.io.File
import java.net.InetAddress
import java.net.ServerSocket
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.runBlocking
import necid.Client
import necid.ConfigBuilder
import necid.NecIdException
import necid.face
import necid.repoRoot
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Assumptions.assumeTrue
import org.junit.jupiter.api.Nested
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.platform.engine.TestExecutionResult
import org.junit.platform.engine.discovery.DiscoverySelectors.selectClass
import org.junit.platform.testkit.engine.EngineTestKit

/** The emulator the tests start (see Support.kt). */
internal fun devOptions(o: EmulatorOptions = EmulatorOptions()): EmulatorOptions {
    val dev = File(repoRoot, "target/x86_64-unknown-linux-gnu/debug/necid")
    return if (System.getenv("NECID_BIN").isNullOrEmpty() && dev.canExecute()) o.copy(binary = dev.toPath()) else o
}

/** The process table has no running [pid] (absent, or a zombie: an orphan that PID 1
 * has not reaped yet has ended all the same). */
internal fun running(pid: Long): Boolean {
    val stat = try {
        Files.readString(Path.of("/proc/$pid/stat"))
    } catch (_: java.io.IOException) {
        return false
    }
    return stat.substringAfterLast(')').trim().firstOrNull() != 'Z'
}

/** The process [pid] ends within [seconds]. */
internal fun assertGone(pid: Long, seconds: Long = 15) {
    val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds)
    while (true) {
        if (!running(pid)) return
        if (System.nanoTime() >= deadline) break
        Thread.sleep(50)
    }
    throw AssertionError("the emulator (pid $pid) is still running after $seconds s")
}

/** necid-kotlin-testing: the JUnit extension, the Emulator class, the binary lookup. */
class TestingTest {
    /** What a user writes: the annotation, parameters injected, a sqlite emulator. */
    @Nested
    @NecidEmulator(storage = "sqlite")
    inner class Injected {
        @Test
        fun registersAndSearchesInItsOwnGallery(client: Client, emu: Emulator, info: EmulatorInfo) = runBlocking {
            assertTrue(emu.running)
            assertEquals(emu.endpoint, info.endpoint)
            samePid(emu)
            val r = client.registerSubject(face("obama.jpg"))
            val hits = client.search(face("obama.jpg"))
            assertEquals(listOf(r.subjectId), hits.candidates.map { it.subjectId })
            // A gallery of its own: the default gallery did not get the subject.
            emu.client().use { default -> assertTrue(default.search(face("obama.jpg")).candidates.isEmpty()) }
        }

        @Test
        fun oneEmulatorPerClassAndAConfigBuilder(emu: Emulator, builder: ConfigBuilder) = runBlocking {
            Client(builder.build()).use { assertTrue(it.listTags().isEmpty()) }
            samePid(emu)
            // No secret in what a failing assertion would print.
            assertFalse(emu.info.toString().contains(emu.info.secretAccessKey))
            assertFalse(emu.info.toString().contains(emu.info.adminToken))
        }
    }

    /** The class's tests share one emulator. */
    private fun samePid(emu: Emulator) = synchronized(TestingTest::class.java) {
        assertEquals(sharedPid ?: emu.pid, emu.pid)
        sharedPid = emu.pid
    }

    @Test
    fun aFailingTestLeavesNoEmulatorRunning() {
        FailsOnPurpose.armed = true
        try {
            val results = EngineTestKit.engine("junit-jupiter").selectors(selectClass(FailsOnPurpose::class.java)).execute()
            results.testEvents().assertStatistics { it.started(1).failed(1) }
        } finally {
            FailsOnPurpose.armed = false
        }
        val pid = checkNotNull(FailsOnPurpose.pid) { "the failing test did not get its emulator" }
        assertGone(pid, 0)
        assertFalse(Files.exists(Path.of(checkNotNull(FailsOnPurpose.bucketDir)).parent), "the temporary folder stayed")
    }

    @Test
    fun aBadOptionFailsTheClassAtOnceWithTheReason() {
        val t = System.nanoTime()
        val results = EngineTestKit.engine("junit-jupiter").selectors(selectClass(UnknownEngine::class.java)).execute()
        val failure = results.allEvents().failed().stream().findFirst().orElseThrow()
            .getPayload(TestExecutionResult::class.java).flatMap { it.throwable }.map { it.toString() }.orElse("")
        assertTrue(failure.contains("unknown engine 'nope'"), failure)
        assertTrue(System.nanoTime() - t < TimeUnit.SECONDS.toNanos(10), "not at once")
    }

    @Test
    fun aKilledJvmLeavesNoEmulatorRunning() {
        val java = Path.of(System.getProperty("java.home"), "bin", "java").toString()
        val child = ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), ChildJvm::class.java.name)
            .redirectErrorStream(true)
            .start()
        try {
            val line = child.inputReader().readLine() ?: error("the child JVM printed nothing")
            val pid = line.removePrefix("emulator ").toLongOrNull() ?: error("the child JVM said: $line")
            assertTrue(running(pid), "the emulator is not running")
            child.destroyForcibly() // SIGKILL: no shutdown hook runs
            child.waitFor(10, TimeUnit.SECONDS)
            assertGone(pid)
        } finally {
            child.destroyForcibly()
        }
    }

    @Test
    fun badArgumentsFailFastWithAClearError() {
        val engine = assertThrows<IllegalArgumentException> { Emulator.start(devOptions(EmulatorOptions(engine = "nope"))) }
        assertTrue(engine.message!!.contains("unknown engine 'nope'"), engine.message)
        val seed = assertThrows<IllegalArgumentException> {
            Emulator.start(devOptions(EmulatorOptions(seed = Path.of("/nonexistent/faces"))))
        }
        assertTrue(seed.message!!.contains("the seed folder /nonexistent/faces does not exist"), seed.message)
        assertThrows<IllegalArgumentException> { Emulator.start(devOptions(EmulatorOptions(faults = "[not json"))) }
        ServerSocket(0, 1, InetAddress.getByName("127.0.0.1")).use { taken ->
            val t = System.nanoTime()
            val e = assertThrows<EmulatorException> { Emulator.start(devOptions(EmulatorOptions(port = taken.localPort))) }
            assertTrue(System.nanoTime() - t < TimeUnit.SECONDS.toNanos(20), "a port in use took a timeout")
            assertTrue(e.message!!.contains("exited") && e.message!!.contains("${taken.localPort}"), e.message)
        }
        val missing = assertThrows<EmulatorNotFoundException> { Emulator.start(EmulatorOptions(binary = Path.of("/nonexistent/necid"))) }
        assertTrue(missing.message!!.contains("/nonexistent/necid"), missing.message)
    }

    @Test
    fun binaryLookupOrder(@org.junit.jupiter.api.io.TempDir dir: Path) {
        fun exe(name: String): Path = Files.createDirectories(dir.resolve(name)).resolve("necid").also {
            Files.writeString(it, "#!/bin/sh\n")
            it.toFile().setExecutable(true)
        }
        val explicit = exe("explicit")
        val env = exe("env")
        val packaged = exe("packaged")
        val onPath = exe("path")
        val all = mapOf("NECID_BIN" to env.toString(), "PATH" to "/nonexistent:${onPath.parent}")
        assertEquals(explicit, Emulator.findBinary(explicit, all) { packaged })
        assertEquals(env, Emulator.findBinary(null, all) { packaged })
        assertEquals(packaged, Emulator.findBinary(null, all - "NECID_BIN") { packaged })
        assertEquals(onPath, Emulator.findBinary(null, all - "NECID_BIN") { null })
        val none = assertThrows<EmulatorNotFoundException> { Emulator.findBinary(null, mapOf("PATH" to "/nonexistent")) { null } }
        for (what in listOf("binary option", "NECID_BIN", Emulator.PACKAGED_RESOURCE, "necid on PATH")) {
            assertTrue(none.message!!.contains(what), "the error does not name $what: ${none.message}")
        }
        val badEnv = assertThrows<EmulatorNotFoundException> {
            Emulator.findBinary(null, mapOf("NECID_BIN" to "/nonexistent/necid")) { packaged }
        }
        assertTrue(badEnv.message!!.contains("NECID_BIN is set to /nonexistent/necid"), badEnv.message)
    }

    @Test
    fun seedFaultsAndRecordingFromTheStart(@org.junit.jupiter.api.io.TempDir dir: Path) {
        Files.copy(File(repoRoot, "cli/assets/faces/obama.jpg").toPath(), dir.resolve("obama.jpg"))
        val faults = """[{"method": "GET", "path": "/v1.1/tags", "fault": "error", "status": 429, "retryAfter": 0, "count": 1}]"""
        Emulator.start(devOptions(EmulatorOptions(seed = dir, faults = faults, record = true))).use { emu ->
            val seeded = emu.seeded()
            assertEquals(1, seeded.size())
            val subject = seeded[0].asJsonObject.get("subjectId").asString
            emu.client { it.retryPolicy(1u, java.time.Duration.ofMillis(1), java.time.Duration.ofMillis(1)) }.use { c ->
                assertThrows<NecIdException.Throttled> { runBlocking { c.listTags() } }
                assertEquals(listOf(subject), runBlocking { c.search(face("obama.jpg")).candidates.map { it.subjectId } })
            }
            assertEquals(listOf(429), emu.requests("GET", "/v1.1/tags").map { it.get("status").asInt })
            val pid = emu.pid
            emu.close()
            assertGone(pid, 0)
            assertFalse(emu.running)
        }
    }

    @Test
    fun tlsClientsTrustTheEmulatorsCa() = Emulator.start(devOptions(EmulatorOptions(tls = true))).use { emu ->
        assertTrue(emu.endpoint.startsWith("https://"))
        emu.client().use { c -> assertTrue(runBlocking { c.listTags() }.isEmpty()) }
        emu.setRecording(true) // the admin API over HTTPS, trusting the same CA
        assertNotEquals(0L, emu.pid)
    }

    private companion object {
        @Volatile var sharedPid: Long? = null
    }
}

/** Fails on purpose; run only by [TestingTest.aFailingTestLeavesNoEmulatorRunning]. */
@NecidEmulator
class FailsOnPurpose {
    @Test
    fun fails(emu: Emulator) {
        assumeTrue(armed)
        pid = emu.pid
        bucketDir = emu.info.bucketDir
        throw AssertionError("failing on purpose")
    }

    companion object {
        @Volatile var armed = false
        @Volatile var pid: Long? = null
        @Volatile var bucketDir: String? = null
    }
}

/** A bad option; run only by [TestingTest.aBadOptionFailsTheClassAtOnceWithTheReason]. */
@NecidEmulator(engine = "nope")
class UnknownEngine {
    @Test
    fun neverRuns() = Unit
}

/** A JVM that starts an emulator and waits to be killed ([TestingTest.aKilledJvmLeavesNoEmulatorRunning]). */
object ChildJvm {
    @JvmStatic
    fun main(args: Array<String>) {
        val emu = Emulator.start(devOptions())
        println("emulator ${emu.pid}")
        System.out.flush()
        Thread.sleep(120_000)
    }
}
