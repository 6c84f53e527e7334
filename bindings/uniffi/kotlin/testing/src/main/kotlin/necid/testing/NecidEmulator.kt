package necid.testing

import java.nio.file.Path
import java.time.Duration
import necid.Client
import necid.ConfigBuilder
import org.junit.jupiter.api.extension.BeforeAllCallback
import org.junit.jupiter.api.extension.ExtendWith
import org.junit.jupiter.api.extension.ExtensionContext
import org.junit.jupiter.api.extension.ParameterContext
import org.junit.jupiter.api.extension.ParameterResolutionException
import org.junit.jupiter.api.extension.ParameterResolver

/**
 * Runs the annotated test class against a throwaway emulator, started before its first test
 * and stopped after its last one (also when tests fail; `@Nested` classes share their outer
 * class's). Test methods and constructors can take these parameters:
 *
 * - [Emulator]: the running emulator (its [EmulatorInfo], clients, admin API);
 * - [EmulatorInfo]: its endpoint and dev credentials;
 * - [Client]: a client bound to a new, empty gallery of its own, closed and the gallery
 *   deleted after the test (after the class, for a constructor parameter);
 * - [ConfigBuilder]: the emulator's settings (default gallery), to adjust and build.
 *
 * ```kotlin
 * @NecidEmulator
 * class MyTest {
 *     @Test fun registers(client: Client) = runBlocking { client.registerSubject(face) }
 * }
 * ```
 *
 * The attributes are [EmulatorOptions]'s (empty string = not set). For options computed at
 * run time, register [NecidEmulatorExtension] with `@RegisterExtension` instead.
 */
@Target(AnnotationTarget.CLASS)
@Retention(AnnotationRetention.RUNTIME)
@MustBeDocumented
@ExtendWith(NecidEmulatorExtension::class)
annotation class NecidEmulator(
    val engine: String = "deterministic",
    val storage: String = "memory",
    /** A folder of pictures registered at start. */
    val seed: String = "",
    /** Fault rules from the start: a JSON list of rules or a plan `{"seed": n, "rules": [...]}`. */
    val faults: String = "",
    val record: Boolean = false,
    val lenient: Boolean = false,
    val tls: Boolean = false,
    val port: Int = 0,
    /** The `necid` executable (else `NECID_BIN`, the packaged one, `PATH`). */
    val binary: String = "",
    val startupTimeoutSeconds: Long = 120,
)

/** The options of a [NecidEmulator] annotation. */
fun NecidEmulator.toOptions(): EmulatorOptions = EmulatorOptions(
    engine = engine,
    storage = storage,
    seed = seed.takeIf { it.isNotEmpty() }?.let { Path.of(it) },
    faults = faults.takeIf { it.isNotEmpty() },
    record = record,
    lenient = lenient,
    tls = tls,
    port = port,
    binary = binary.takeIf { it.isNotEmpty() }?.let { Path.of(it) },
    startupTimeout = Duration.ofSeconds(startupTimeoutSeconds),
)

/**
 * The JUnit 5 extension behind [NecidEmulator]. Registered programmatically it takes
 * [EmulatorOptions] (a `@JvmField` in a companion object: one emulator for the class):
 *
 * ```kotlin
 * companion object {
 *     @JvmField @RegisterExtension
 *     val emulator = NecidEmulatorExtension(EmulatorOptions(engine = "real", seed = Path.of("faces")))
 * }
 * ```
 *
 * [emulator] gives the running emulator to code outside parameters (e.g. a `@BeforeAll`).
 */
class NecidEmulatorExtension @JvmOverloads constructor(private val options: EmulatorOptions? = null) : BeforeAllCallback, ParameterResolver {
    /** Starts the class's emulator before its first test, so a bad option fails the class at once. */
    override fun beforeAll(context: ExtensionContext) {
        emulator(context)
    }

    /** The emulator of the test class of [context], started on first use. */
    fun emulator(context: ExtensionContext): Emulator {
        // The outermost test class: @Nested classes share its emulator, which closes with it.
        var owner = context
        while (owner.parent.isPresent && owner.parent.get().testClass.isPresent) owner = owner.parent.get()
        val opts = options ?: findAnnotation(context)?.toOptions() ?: EmulatorOptions()
        val held = owner.getStore(NAMESPACE).getOrComputeIfAbsent(
            Pair(this.javaClass.name, opts),
            { Held(Emulator.start(opts)) },
            Held::class.java,
        )
        return held.emulator
    }

    override fun supportsParameter(parameterContext: ParameterContext, extensionContext: ExtensionContext): Boolean =
        parameterContext.parameter.type in SUPPORTED

    override fun resolveParameter(parameterContext: ParameterContext, extensionContext: ExtensionContext): Any {
        val emu = try {
            emulator(extensionContext)
        } catch (e: RuntimeException) {
            throw ParameterResolutionException("could not start the necid emulator: ${e.message}", e)
        }
        return when (parameterContext.parameter.type) {
            Emulator::class.java -> emu
            EmulatorInfo::class.java -> emu.info
            ConfigBuilder::class.java -> emu.configBuilder()
            Client::class.java -> {
                val g = emu.newGallery()
                // Closed (gallery deleted) when this context ends: the test, or the class
                // for a constructor parameter.
                extensionContext.getStore(NAMESPACE).put(Any(), HeldGallery(g))
                g.client
            }
            else -> throw ParameterResolutionException("unsupported parameter ${parameterContext.parameter}")
        }
    }

    private fun findAnnotation(context: ExtensionContext): NecidEmulator? {
        var c: Class<*>? = context.testClass.orElse(null)
        while (c != null) {
            c.getAnnotation(NecidEmulator::class.java)?.let { return it }
            c = c.enclosingClass
        }
        return null
    }

    // Values a Store closes when its context ends: CloseableResource for every JUnit 5
    // version, AutoCloseable for 5.13+ (which deprecated the former); close() is idempotent.
    @Suppress("DEPRECATION")
    private class Held(val emulator: Emulator) : ExtensionContext.Store.CloseableResource, AutoCloseable {
        override fun close() = emulator.close()
    }

    @Suppress("DEPRECATION")
    private class HeldGallery(val gallery: GalleryClient) : ExtensionContext.Store.CloseableResource, AutoCloseable {
        override fun close() = gallery.close()
    }

    private companion object {
        val NAMESPACE: ExtensionContext.Namespace = ExtensionContext.Namespace.create(NecidEmulatorExtension::class.java)
        val SUPPORTED = setOf(Emulator::class.java, EmulatorInfo::class.java, Client::class.java, ConfigBuilder::class.java)
    }
}
