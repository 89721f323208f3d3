# `cmake --install`: the command, the library (shared, versioned; static),
# the header, pkg-config and CMake package files, the models and LM, the man
# page; and `cpack -G DEB`. Everything below the prefix is relocatable: the
# CLI finds ../share/asr beside itself, asr.pc gets the prefix at install time.

install(TARGETS asr_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS asr asr_static EXPORT asrTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES include/asr.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# The shipped models, LM and dictionary, where the CLI looks (cli/options.c).
install(FILES
  pretrained/en-bilstm.gguf pretrained/en-lstm.gguf pretrained/en-lstm-phones.gguf
  pretrained/en-bilstm-phones.gguf
  pretrained/en-gru.gguf pretrained/en-rnn.gguf
  pretrained/en-3gram.lmbin pretrained/en-cmudict.dict pretrained/digits.txt
  pretrained/MODEL_CARD.md
  DESTINATION ${CMAKE_INSTALL_DATADIR}/asr)
install(FILES LICENSE NOTICE README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES samples/so762_000030116.wav samples/fsdd_7_jackson_0.wav samples/README.md
  DESTINATION ${CMAKE_INSTALL_DOCDIR}/samples)

# The Python package, where Debian's python3 finds it for the .deb
# (/usr/lib/python3/dist-packages); elsewhere PYTHONPATH=PREFIX/lib/python3/dist-packages
# or `pip install ./python`.
option(ASR_INSTALL_PYTHON "Install the Python package under lib/python3/dist-packages" ON)
if(ASR_INSTALL_PYTHON)
  install(DIRECTORY python/asr DESTINATION lib/python3/dist-packages
    PATTERN __pycache__ EXCLUDE PATTERN "*.pyc" EXCLUDE)
endif()

# pkg-config: the prefix is the one given at install time (--prefix, or
# /usr for the .deb), not the one configured.
configure_file(cmake/asr.pc.in asr.pc.in @ONLY)
# (One scratch file per prefix: installs into two prefixes may run at once.)
install(CODE "
  file(READ \"${PROJECT_BINARY_DIR}/asr.pc.in\" pc)
  string(REPLACE \"%PREFIX%\" \"\${CMAKE_INSTALL_PREFIX}\" pc \"\${pc}\")
  string(MD5 scratch \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}\")
  file(WRITE \"${PROJECT_BINARY_DIR}/pc/\${scratch}/asr.pc\" \"\${pc}\")
  file(INSTALL \"${PROJECT_BINARY_DIR}/pc/\${scratch}/asr.pc\"
       DESTINATION \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig\")
")

# CMake: find_package(asr) gives asr::asr (shared) and asr::asr_static.
include(CMakePackageConfigHelpers)
set(asr_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/asr)
install(EXPORT asrTargets NAMESPACE asr:: DESTINATION ${asr_cmake_dir})
configure_package_config_file(cmake/asrConfig.cmake.in asrConfig.cmake
  INSTALL_DESTINATION ${asr_cmake_dir})
write_basic_package_version_file(asrConfigVersion.cmake COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/asrConfig.cmake ${PROJECT_BINARY_DIR}/asrConfigVersion.cmake
  DESTINATION ${asr_cmake_dir})

# The man page, from `asr --help` and each command's --help (Debian's help2man).
find_program(HELP2MAN help2man)
if(HELP2MAN)
  add_custom_command(OUTPUT asr.1
    COMMAND bash ${PROJECT_SOURCE_DIR}/cmake/manpage.sh ${HELP2MAN} $<TARGET_FILE:asr_cli>
            ${PROJECT_BINARY_DIR}/asr.1
    DEPENDS asr_cli ${PROJECT_SOURCE_DIR}/cmake/manpage.sh
    COMMENT "Writing the man page asr.1 (help2man)")
  add_custom_target(asr_manpage ALL DEPENDS asr.1)
  install(FILES ${PROJECT_BINARY_DIR}/asr.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
else()
  message(WARNING "help2man not found (Debian: apt-get install help2man): no man page")
endif()

# cpack -G DEB: asr_VERSION_ARCH.deb, Depends computed by dpkg-shlibdeps.
set(CPACK_PACKAGE_NAME asr)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "streaming speech recognition on the CPU, offline: command, library, models")
set(CPACK_PACKAGE_DESCRIPTION "The asr command (transcribe, live, eval, bench), the libasr
library with its header, pkg-config and CMake files, English acoustic models, a 3-gram word
language model and a pronunciation dictionary.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "asr maintainers <maintainers@asr.invalid>")
set(CPACK_DEBIAN_PACKAGE_SECTION sound)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Only static linking (pkg-config --static) needs the development packages.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "pkg-config, libsndfile1-dev, libkissfft-dev, libopenblas-dev, libsamplerate0-dev, zlib1g-dev")
# The Python package needs numpy; the command and the C library do not.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "man-db, python3, python3-numpy")
include(CPack)
