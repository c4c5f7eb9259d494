package dev.nativeext.model;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;

/** The committed PyTorch fixtures (tools/reference/backbone_reference.py fixtures ...). */
public final class Fixtures {

    private Fixtures() {
    }

    /** {@code src/test/resources/dev/nativeext/model/<relative>} as a file. */
    public static Path path(String relative) {
        URL u = Fixtures.class.getResource("/dev/nativeext/model/" + relative);
        if (u == null) throw new IllegalStateException("test resource dev/nativeext/model/" + relative + " is missing");
        try {
            return Path.of(u.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Path fixture(String name, String file) {
        return path("fixtures/" + name + "/" + file);
    }

    /** The reference script's user-registered spec "TINY-2" (resnext_32x4_tiny's): two one-block stages. */
    public static void registerTinySpec() {
        synchronized (StageSpecs.REGISTRY) {
            if (!StageSpecs.REGISTRY.contains("TINY-2")) {
                StageSpecs.REGISTRY.register("TINY-2", java.util.List.of(new StageSpec(1, 1, true), new StageSpec(2, 1, true)));
                Backbone.REGISTRY.register("TINY-2", Backbone::bodyOnly);
            }
        }
    }

    public static final String[] BACKBONE_FIXTURES = {
        "r50_c4_frozen_bn", "r50_fpn_gn", "r50_c5_dcn_dg2", "r50_c4_dcn_plain", "resnext_32x4_tiny", "r50_fpn_retinanet"
    };
}
