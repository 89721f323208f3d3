# Turns the page into a C array, so that the binary carries it:
# cmake -DIN=server/index.html -DOUT=serve_page.c -P server/embed.cmake
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" n)
math(EXPR n "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
file(WRITE "${OUT}" "/* Generated from ${IN} by server/embed.cmake: do not edit. */\n#include <stddef.h>\nconst unsigned char serve_page[] = {\n${bytes}0};\nconst size_t serve_page_len = ${n};\n")
