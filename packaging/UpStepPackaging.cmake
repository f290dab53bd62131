# CPack DEB package of the command line and the workbench: `cpack -G DEB` in a build folder
# (scripts/package does build + package + a dry-run install). Library dependencies come from
# dpkg-shlibdeps, so the package names exactly the Debian libraries the binaries link; OpenBLAS
# with OpenMP is added by hand because LibTorch loads a BLAS at run time and falls back to the
# reference BLAS (about 14x slower) without it.
set(CPACK_PACKAGE_NAME upstep)
set(CPACK_PACKAGE_VENDOR "UpStep")
set(CPACK_PACKAGE_CONTACT "UpStep Workbench team <upstep@users.noreply.github.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Adapt pretrained vision backbones to unlabeled images (UpStep, LoRA)")
set(CPACK_PACKAGE_DESCRIPTION "UpStep Workbench adapts a pretrained ViT or ResNet to a folder of unlabeled images with a
self-supervised clustering objective: only LoRA adapters train, center vector regularisation limits
forgetting, and half of the iterations skip back-propagation. It contains the Qt workbench
(upstep-workbench), with live loss and forgetting curves and one-click PEFT export, and the headless
`upstep` command line.")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libopenblas0-openmp")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "dataset-fashion-mnist")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/upstep/workbench")
include(CPack)
