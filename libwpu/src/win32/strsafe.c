/* strsafe.c: the StringCch/StringCb functions of compat/strsafe.h (Linux). */
#include <stdio.h>

#include <windef.h>
#include <winerror.h>
#include <strsafe.h>
#include <wpu/wstring.h>

#undef StringCchCopy
#undef StringCchCopyN
#undef StringCchCat
#undef StringCchCatN
#undef StringCchVPrintf
#undef StringCchPrintf
#undef StringCchLength
#undef StringCbCopy
#undef StringCbCopyN
#undef StringCbCat
#undef StringCbCatN
#undef StringCbVPrintf
#undef StringCbPrintf
#undef StringCbLength

#define SS_CHAR      char
#define SS_NAME(n)   n##_a
#define SS_API(n)    n##A
#define SS_VSNPRINTF vsnprintf
#include "strsafe_impl.h"
#undef SS_CHAR
#undef SS_NAME
#undef SS_API
#undef SS_VSNPRINTF

#define SS_CHAR      WCHAR
#define SS_NAME(n)   n##_w
#define SS_API(n)    n##W
#define SS_VSNPRINTF wpu_vsnwprintf
#include "strsafe_impl.h"
