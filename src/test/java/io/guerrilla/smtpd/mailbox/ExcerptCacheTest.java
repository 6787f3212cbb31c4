package io.guerrilla.smtpd.mailbox;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ExcerptCacheTest {
    @Test
    void keepsAtMostItsBoundDroppingTheLeastRecentlyUsed() {
        ExcerptCache cache = new ExcerptCache(2);
        cache.put("a@x.test", 1, "one");
        cache.put("a@x.test", 2, "two");
        assertThat(cache.get("a@x.test", 1)).isEqualTo("one");
        cache.put("a@x.test", 3, "three");
        assertThat(cache.size()).isEqualTo(2);
        assertThat(cache.get("a@x.test", 2)).as("least recently used").isNull();
        assertThat(cache.get("a@x.test", 1)).isEqualTo("one");
        assertThat(cache.get("a@x.test", 3)).isEqualTo("three");
    }

    @Test
    void anIdOfAnotherMailboxIsNotFound() {
        ExcerptCache cache = new ExcerptCache(10);
        cache.put("a@x.test", 7, "private to a");
        assertThat(cache.get("b@x.test", 7)).isNull();
    }
}
