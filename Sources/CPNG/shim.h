// libpng. Decoding and encoding live in CCodecs (classic API, setjmp kept in C).
#include <png.h>
