# Sourced by build-image.sh and build-packages-image.sh: an image carries
# the hash of the recipe it was built from (label ie.recipe), so a changed
# recipe rebuilds it and an unchanged one is skipped.

# image_is_current IMAGE RECIPE: true, and says so, when IMAGE exists and
# was built from RECIPE.
image_is_current() {
    local image=$1 recipe=$2 have
    podman image exists "$image" || return 1
    have=$(podman image inspect --format '{{ index .Labels "ie.recipe" }}' "$image" 2>/dev/null || true)
    if [[ $have == "$recipe" ]]; then
        echo "image $image: present, skipped"
        return 0
    fi
    echo "image $image: built from an older recipe, rebuilding"
    return 1
}
