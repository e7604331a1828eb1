package dev.sluice.deploy;

import java.util.List;
import java.util.Map;

/**
 * The part of kustomize's {@code Kustomization} (kustomize.config.k8s.io/v1beta1) these manifests use, as a schema:
 * anything else fails to read, so a field kustomize would take differently is caught here rather than ignored.
 */
record Kustomization(String apiVersion, String kind, String namespace, List<String> resources, List<Patch> patches,
        Map<String, String> commonLabels, List<Image> images) {

    Kustomization {
        Schema.require(resources != null && !resources.isEmpty(), "resources");
    }

    /** A patch file (a strategic merge patch, or a JSON 6902 patch with a target). */
    record Patch(String path, String patch, Target target) {
        Patch {
            Schema.require(path != null || patch != null, "patches[].path or patches[].patch");
        }
    }

    record Target(String group, String version, String kind, String name, String namespace) {
    }

    record Image(String name, String newName, String newTag, String digest) {
        Image {
            Schema.require(name != null, "images[].name");
        }
    }
}
