// necid-kotlin-testing: test your own code offline against the NEC ID emulator
// (`necid serve`). See README "Testing your code offline".
package necid.testing

import com.google.gson.JsonArray
import com.google.gson.JsonElement
import com.google.gson.JsonObject
import com.google.gson.JsonParser
import com.sun.jna.Platform
import java.io.File
import java.io.IOException
import java.net.URI
import java.net.URLEncoder
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.nio.charset.StandardCharsets
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.StandardCopyOption
import java.security.KeyStore
import java.security.cert.CertificateFactory
import java.time.Duration
import java.util.UUID
import java.util.concurrent.TimeUnit
import javax.net.ssl.SSLContext
import javax.net.ssl.TrustManagerFactory
import kotlinx.coroutines.runBlocking
import necid.Client
import necid.ConfigBuilder
import necid.Gallery
import necid.NewGallery

/** The emulator could not be started (its own message and output are included), or an
 * admin API call failed. */
open class EmulatorException(message: String, cause: Throwable? = null) : RuntimeException(message, cause)

/** No `necid` executable was found in any of the four places [Emulator.findBinary] looks. */
class EmulatorNotFoundException(message: String) : EmulatorException(message)

/**
 * How to start an emulator; every setting is optional (the defaults: deterministic engine,
 * in memory, a free port).
 *
 * @property engine `"deterministic"` (fast: the same picture, or a nearly identical one,
 *   matches, nothing else does) or `"real"` (the offline face engine: slower, loads its
 *   weights at the first picture).
 * @property storage `"memory"` or `"sqlite"` (a file in a temporary folder removed at stop).
 * @property seed a folder of pictures registered in the default gallery before the emulator
 *   is ready (a picture = a subject, a sub-folder = a subject with one event per picture).
 * @property faults fault rules from the start, as JSON: a list of rules or a plan
 *   `{"seed": n, "rules": [...]}` (server/README.md, "Fault rules").
 * @property record record every API request (see [Emulator.requests]).
 * @property lenient relax strict mode. [tls]: serve HTTPS with a private CA (the clients
 *   of [Emulator.client] trust it).
 * @property port 0 picks a free port. [binary]: the `necid` executable.
 */
data class EmulatorOptions(
    val engine: String = "deterministic",
    val storage: String = "memory",
    val seed: Path? = null,
    val faults: String? = null,
    val record: Boolean = false,
    val lenient: Boolean = false,
    val tls: Boolean = false,
    val port: Int = 0,
    val binary: Path? = null,
    val startupTimeout: Duration = Duration.ofSeconds(120),
    val extraArgs: List<String> = emptyList(),
) {
    /** Bad settings fail here, at once, with what to do instead. */
    fun validate() {
        require(engine in ENGINES) {
            "unknown engine '$engine': choose 'deterministic' (fast, the same picture matches) " +
                "or 'real' (the offline face engine)"
        }
        require(storage == "memory" || storage == "sqlite") {
            "unknown storage '$storage': choose 'memory' or 'sqlite'"
        }
        require(seed == null || Files.isDirectory(seed)) { "the seed folder $seed does not exist or is not a folder" }
        require(port in 0..65535) { "port $port is out of range (0-65535; 0 picks a free port)" }
        if (faults != null) {
            val parsed = try {
                JsonParser.parseString(faults)
            } catch (e: Exception) {
                throw IllegalArgumentException("faults is not JSON: ${e.message}")
            }
            require(parsed.isJsonArray || parsed.isJsonObject) {
                "faults must be a JSON list of rules or a plan {\"seed\": n, \"rules\": [...]}"
            }
        }
    }

    companion object {
        /** The face engines of the emulator. */
        val ENGINES = listOf("deterministic", "real")
    }
}

/** What the emulator's ready file says: where it listens and its dev credentials. Secrets
 * (secret access key, API key, admin token) are left out of [toString]. */
class EmulatorInfo(
    val endpoint: String,
    val tenantEndpoint: String,
    val region: String,
    val accessKeyId: String,
    val secretAccessKey: String,
    val apiKey: String,
    val bucketDir: String,
    /** With `tls`: the PEM file of the emulator's CA. */
    val caFile: String?,
    /** The admin API (`<endpoint>/_admin/v1`) and its bearer token. */
    val adminEndpoint: String,
    val adminToken: String,
    val pid: Long,
    /** With `extraArgs = listOf("--tls-client-auth")`: a client certificate (PEM file) the
     * emulator requires, and its private key. */
    val clientCertFile: String? = null,
    val clientKeyFile: String? = null,
) {
    override fun toString() =
        "EmulatorInfo(endpoint=$endpoint, region=$region, accessKeyId=$accessKeyId, pid=$pid, caFile=$caFile)"
}

/** A client bound to a new, empty gallery; [close] closes the client and deletes the gallery. */
class GalleryClient internal constructor(
    val gallery: Gallery,
    val client: Client,
    private val tenant: Client,
) : AutoCloseable {
    private var closed = false

    @Synchronized
    override fun close() {
        if (closed) return
        closed = true
        client.close()
        try {
            runBlocking { tenant.deleteGallery(gallery.id) }
        } catch (_: Exception) {
            // The emulator is already gone (the class ended); nothing to delete.
        } finally {
            tenant.close()
        }
    }
}

/**
 * A throwaway `necid serve` for tests: [start] it (or let the JUnit 5 extension
 * [NecidEmulator] do it), use [client], and [close] it. It never outlives the JVM: [close]
 * runs from `use {}`, the extension and a shutdown hook, and the emulator runs with
 * `--stop-on-stdin-eof` and a pipe as its stdin, so it stops by itself when the JVM ends in
 * any way (killed with SIGKILL too).
 */
class Emulator private constructor(
    val options: EmulatorOptions,
    private val process: Process,
    private val work: Path,
) : AutoCloseable {
    private val log: File = work.resolve("serve.log").toFile()
    private val hook = Thread { stopProcess() }
    private var stopped = false

    /** The ready file's content. */
    lateinit var info: EmulatorInfo
        private set

    /** The emulator's process id. */
    val pid: Long get() = process.pid()

    /** The API endpoint (`http://127.0.0.1:PORT`, `https://` with `tls`). */
    val endpoint: String get() = info.endpoint

    /** True until [close] (or the emulator died). */
    val running: Boolean get() = !stopped && process.isAlive

    /** What the emulator printed so far (its start-up lines, errors). */
    fun output(): String = try { log.readText() } catch (_: IOException) { "" }

    /** A config builder with the emulator's endpoints, region, dev credentials, the default
     * gallery's API key and (with `tls`) its CA; call more setters before `build()`. */
    fun configBuilder(): ConfigBuilder {
        val b = ConfigBuilder()
            .endpoint(info.endpoint)
            .tenantEndpoint(info.tenantEndpoint)
            .region(info.region)
            .accessKeyId(info.accessKeyId)
            .secretAccessKey(info.secretAccessKey)
            .apiKey(info.apiKey)
        return info.caFile?.let { b.caBundle(it) } ?: b
    }

    /** A client for the default gallery (or the gallery of [apiKey]); [configure] adjusts
     * the settings (timeouts, retries) before it is built. */
    fun client(apiKey: String? = null, configure: (ConfigBuilder) -> ConfigBuilder = { it }): Client {
        var b = configBuilder()
        if (apiKey != null) b = b.apiKey(apiKey)
        return Client(configure(b).build())
    }

    /** A client bound to a new, empty gallery; closing it deletes the gallery. */
    fun newGallery(size: ULong? = null, minQuality: Double? = null): GalleryClient {
        val tenant = client()
        try {
            val g = runBlocking {
                tenant.createGallery(
                    NewGallery(name = "test-" + UUID.randomUUID().toString().take(12), size = size, faceMinimumQualityScore = minQuality),
                )
            }
            val key = checkNotNull(g.apiKey) { "createGallery returned no API key" }.expose()
            return GalleryClient(g, client(key), tenant)
        } catch (e: Throwable) {
            tenant.close()
            throw e
        }
    }

    // ----- admin API ------------------------------------------------------------------------

    private val http: HttpClient by lazy {
        val b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
        info.caFile?.let { b.sslContext(trusting(Path.of(it))) }
        b.build()
    }

    /** Calls the admin API (`/_admin/v1` + [path]) with the admin token; the JSON answer.
     * Throws [EmulatorException] with the emulator's message when it answers an error. */
    fun admin(method: String, path: String, body: String? = null): JsonElement {
        val req = HttpRequest.newBuilder(URI(info.adminEndpoint + path))
            .timeout(Duration.ofSeconds(30))
            .header("Authorization", "Bearer " + info.adminToken)
            .header("Content-Type", "application/json")
            .method(method, body?.let { HttpRequest.BodyPublishers.ofString(it) } ?: HttpRequest.BodyPublishers.noBody())
            .build()
        val r = http.send(req, HttpResponse.BodyHandlers.ofString())
        if (r.statusCode() !in 200..299) throw EmulatorException("admin $method $path: ${r.statusCode()} ${r.body()}")
        return JsonParser.parseString(r.body())
    }

    /** Appends one fault rule (JSON object, keys as in server/README.md, e.g.
     * `{"path": "/v1/search", "fault": "error", "status": 503, "count": 1}`); the rule with its id. */
    fun addFault(rule: String): JsonObject = admin("POST", "/faults", rule).asJsonObject

    /** Replaces every fault rule ([seed] makes probabilities repeatable). */
    fun setFaults(rules: String, seed: Long? = null) {
        admin("PUT", "/faults", if (seed == null) """{"rules": $rules}""" else """{"seed": $seed, "rules": $rules}""")
    }

    fun clearFaults() {
        admin("DELETE", "/faults")
    }

    fun setRecording(enabled: Boolean) {
        admin("PUT", "/recording", """{"enabled": $enabled}""")
    }

    /** The recorded API requests, oldest first; only [method] and paths starting with [path]
     * when given. Each has `method`, `path`, `status` (null for a reset connection), … */
    fun requests(method: String? = null, path: String? = null): List<JsonObject> {
        val q = listOfNotNull(method?.let { "method=" + enc(it) }, path?.let { "path=" + enc(it) })
        val suffix = if (q.isEmpty()) "" else "?" + q.joinToString("&")
        return admin("GET", "/requests$suffix").asJsonObject.getAsJsonArray("requests").map { it.asJsonObject }
    }

    fun clearRequests() {
        admin("DELETE", "/requests")
    }

    /** Empties one gallery, or (no argument) every gallery, and removes every fault rule and record. */
    fun reset(galleryId: String? = null) {
        admin("POST", if (galleryId == null) "/reset" else "/galleries/${enc(galleryId)}/reset")
    }

    /** `[{file, subjectId, eventId}]` for the pictures of the seed folder. */
    fun seeded(): JsonArray = admin("GET", "/seed").asJsonObject.getAsJsonArray("seeded")

    // ----- life cycle -------------------------------------------------------------------------

    /** Stops the emulator (its stdin closed and SIGTERM, SIGKILL after 10 s) and removes its
     * temporary folder. Safe to call twice. */
    override fun close() {
        stopProcess()
        try {
            Runtime.getRuntime().removeShutdownHook(hook)
        } catch (_: IllegalStateException) {
            // The JVM is shutting down: the hook runs (or ran) anyway.
        }
    }

    @Synchronized
    private fun stopProcess() {
        if (stopped) return
        stopped = true
        try {
            process.outputStream.close()
        } catch (_: IOException) {
        }
        if (process.isAlive) {
            process.destroy()
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly()
                process.waitFor(10, TimeUnit.SECONDS)
            }
        }
        work.toFile().deleteRecursively()
    }

    private fun waitReady(ready: Path) {
        val deadline = System.nanoTime() + options.startupTimeout.toNanos()
        while (true) {
            if (Files.exists(ready) && Files.size(ready) > 0) {
                info = parse(ready)
                return
            }
            if (!process.isAlive) {
                throw EmulatorException("the emulator exited (status ${process.exitValue()}) before it was ready:\n${output()}")
            }
            if (System.nanoTime() > deadline) {
                throw EmulatorException("the emulator was not ready after ${options.startupTimeout.seconds} s:\n${output()}")
            }
            Thread.sleep(20)
        }
    }

    private fun parse(ready: Path): EmulatorInfo {
        val o = JsonParser.parseString(Files.readString(ready)).asJsonObject
        fun s(k: String): String? = o.get(k)?.takeUnless { it.isJsonNull }?.asString
        fun req(k: String) = s(k) ?: throw EmulatorException("the ready file has no $k: ${ready.toFile().readText()}")
        return EmulatorInfo(
            endpoint = req("endpoint"), tenantEndpoint = req("tenantEndpoint"), region = req("region"),
            accessKeyId = req("accessKeyId"), secretAccessKey = req("secretAccessKey"), apiKey = req("apiKey"),
            bucketDir = s("bucketDir") ?: work.resolve("buckets").toString(), caFile = s("caFile"),
            adminEndpoint = req("adminEndpoint"), adminToken = req("adminToken"), pid = process.pid(),
            clientCertFile = s("clientCertFile"), clientKeyFile = s("clientKeyFile"),
        )
    }

    companion object {
        private val EXE = if (Platform.isWindows()) "necid.exe" else "necid"

        /** Where a jar carries the `necid` executable: `necid/bin/<JNA platform prefix>/necid`
         * (e.g. `necid/bin/linux-x86-64/necid`); `necid-kotlin-testing` has it. */
        val PACKAGED_RESOURCE: String = "necid/bin/${Platform.RESOURCE_PREFIX}/$EXE"

        private val extracted: Path? by lazy { extractPackaged(Emulator::class.java.classLoader) }

        /** Starts an emulator and waits until it is ready (its ready file is written). Throws
         * [IllegalArgumentException] for bad options, [EmulatorNotFoundException] when no
         * `necid` is found, and [EmulatorException] with the emulator's own message when it
         * exits first (a port in use, a bad fault rule, an unreadable seed picture). */
        @JvmStatic
        @JvmOverloads
        fun start(options: EmulatorOptions = EmulatorOptions()): Emulator {
            options.validate()
            val exe = findBinary(options.binary)
            val work = Files.createTempDirectory("necid-emulator-")
            val ready = work.resolve("ready.json")
            val args = mutableListOf(
                exe.toString(), "serve", "--engine", options.engine, "--port", options.port.toString(),
                "--ready-file", ready.toString(), "--bucket-dir", work.resolve("buckets").toString(),
                "--stop-on-stdin-eof",
            )
            if (options.storage == "memory") args += "--memory" else args += listOf("--db", work.resolve("emulator.db").toString())
            options.seed?.let { args += listOf("--seed", it.toString()) }
            options.faults?.let {
                val plan = JsonParser.parseString(it)
                val text = if (plan.isJsonArray) """{"rules": $it}""" else it
                val file = work.resolve("faults.json")
                Files.writeString(file, text)
                args += listOf("--faults", file.toString())
            }
            if (options.record) args += listOf("--record", work.resolve("record").toString())
            if (options.lenient) args += "--lenient"
            if (options.tls) args += listOf("--tls", "--tls-ca-file", work.resolve("ca.pem").toString())
            args += options.extraArgs
            val pb = ProcessBuilder(args)
                .redirectErrorStream(true)
                .redirectOutput(work.resolve("serve.log").toFile())
            // The emulator reads no client settings; keep the caller's NECID_* (profiles,
            // credentials) from reaching it.
            pb.environment().keys.removeIf { it.startsWith("NECID_") }
            val process = try {
                pb.start()
            } catch (e: IOException) {
                work.toFile().deleteRecursively()
                throw EmulatorException("could not run $exe: ${e.message}", e)
            }
            val emu = Emulator(options, process, work)
            Runtime.getRuntime().addShutdownHook(emu.hook)
            try {
                emu.waitReady(ready)
            } catch (e: Throwable) {
                emu.close()
                throw e
            }
            return emu
        }

        /** The `necid` executable: [explicit], else `$NECID_BIN`, else the one packaged on the
         * class path ([PACKAGED_RESOURCE], extracted to a temporary file), else `necid` on
         * `PATH`. Throws [EmulatorNotFoundException] naming all four. */
        @JvmStatic
        @JvmOverloads
        fun findBinary(explicit: Path? = null): Path = findBinary(explicit, System.getenv(), { extracted })

        internal fun findBinary(explicit: Path?, env: Map<String, String>, packaged: () -> Path?): Path {
            if (explicit != null) {
                if (!Files.isRegularFile(explicit)) throw EmulatorNotFoundException("the necid executable given ($explicit) does not exist")
                return explicit
            }
            env["NECID_BIN"]?.takeIf { it.isNotEmpty() }?.let {
                val p = Path.of(it)
                if (!Files.isRegularFile(p)) {
                    throw EmulatorNotFoundException(
                        "NECID_BIN is set to $it, which does not exist (unset it to use the packaged necid or the one on PATH)",
                    )
                }
                return p
            }
            packaged()?.let { return it }
            for (dir in (env["PATH"] ?: "").split(File.pathSeparatorChar)) {
                if (dir.isEmpty()) continue
                val p = Path.of(dir, EXE)
                if (Files.isRegularFile(p) && Files.isExecutable(p)) return p
            }
            throw EmulatorNotFoundException(
                "no necid executable found; looked at, in order: (1) the binary option (not given), " +
                    "(2) the NECID_BIN environment variable (not set), (3) the one packaged on the class path " +
                    "($PACKAGED_RESOURCE, from the test dependency necid:necid-kotlin-testing: absent), " +
                    "(4) necid on PATH (none). Add necid-kotlin-testing as a test dependency, or install the " +
                    "necid CLI (cargo install necid-cli, or a release archive) and put it on PATH or set NECID_BIN.",
            )
        }

        /** Copies the packaged executable out of the jar once per JVM (a file in a jar cannot
         * be run); the copy is removed when the JVM exits. */
        private fun extractPackaged(loader: ClassLoader?): Path? {
            val stream = (loader ?: ClassLoader.getSystemClassLoader()).getResourceAsStream(PACKAGED_RESOURCE) ?: return null
            val dir = Files.createTempDirectory("necid-bin-")
            val exe = dir.resolve(EXE)
            stream.use { Files.copy(it, exe, StandardCopyOption.REPLACE_EXISTING) }
            exe.toFile().setExecutable(true, true)
            Runtime.getRuntime().addShutdownHook(Thread { dir.toFile().deleteRecursively() })
            return exe
        }

        private fun enc(s: String): String = URLEncoder.encode(s, StandardCharsets.UTF_8)

        private fun trusting(pem: Path): SSLContext {
            val ks = KeyStore.getInstance(KeyStore.getDefaultType()).apply { load(null, null) }
            Files.newInputStream(pem).use { input ->
                CertificateFactory.getInstance("X.509").generateCertificates(input).forEachIndexed { i, c ->
                    ks.setCertificateEntry("necid-emulator-$i", c)
                }
            }
            val tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm()).apply { init(ks) }
            return SSLContext.getInstance("TLS").apply { init(null, tmf.trustManagers, null) }
        }
    }
}
