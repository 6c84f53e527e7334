package necid

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** Configuration from the profile file and the environment (NECID_CONFIG_FILE set by the pom). */
class ConfigTest {
    @Test
    fun namedProfile() {
        val cfg = ClientConfig.fromProfile("uniffi-test")
        assertEquals("http://127.0.0.1:2", cfg.endpoint())
        assertEquals("AKIDPROFILE", cfg.accessKeyId())
        assertTrue(cfg.hasCredentials() && cfg.hasApiKey())
        assertEquals(5u, cfg.maxAttempts())
        assertEquals("ap-southeast-2", cfg.region())
        val missing = assertThrows<NecIdException.InvalidInput> { ClientConfig.fromProfile("no-such-profile") }
        assertTrue(missing.reason.contains("no-such-profile"), missing.reason)
    }

    @Test
    fun defaultProfileThroughTheEnvironment() {
        val cfg = ClientConfig.fromEnv()
        assertEquals("eu-west-1", cfg.region())
        assertFalse(cfg.hasCredentials())
        assertEquals("eu-west-1", ConfigBuilder.fromEnv().build().region())
        Client.fromEnv().use { assertEquals("http://127.0.0.1:1", it.config().endpoint()) }
    }

    @Test
    fun builderIsImmutable() {
        val base = ConfigBuilder().region("us-east-1")
        val derived = base.region("eu-central-1")
        assertEquals("us-east-1", base.build().region())
        assertEquals("eu-central-1", derived.build().region())
        val e = assertThrows<NecIdException.InvalidInput> { ConfigBuilder().accessKeyId("AKID").build() }
        assertTrue(e.reason.contains("secret_access_key"), e.reason)
    }

    @Test
    fun retrySettingsOneByOne() {
        val cfg = ConfigBuilder().maxAttempts(4u).retryBaseDelay(java.time.Duration.ofMillis(10))
            .retryMaxDelay(java.time.Duration.ofMillis(300)).maxRetryAfter(java.time.Duration.ofSeconds(2))
            .build()
        assertEquals(4u, cfg.maxAttempts())
        assertEquals(java.time.Duration.ofMillis(10), cfg.retryBaseDelay())
        assertEquals(java.time.Duration.ofMillis(300), cfg.retryMaxDelay())
        assertEquals(java.time.Duration.ofSeconds(2), cfg.maxRetryAfter())
        // Each setter keeps the others.
        val d = ConfigBuilder().build()
        assertEquals(java.time.Duration.ofMillis(200), d.retryBaseDelay())
        assertEquals(java.time.Duration.ofSeconds(20), d.maxRetryAfter())
    }
}
