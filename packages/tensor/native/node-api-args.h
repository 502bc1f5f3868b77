// What the Node-API entry points of influence.cc and rnn-row.cc share: unwrapping a typed-array
// argument with its checks, and a function bound to native state that keeps that state alive.
#pragma once

#include <node_api.h>

#include <cstddef>
#include <string>

// v's elements, after checking that v is a typed array of `type` with at least `need` of them;
// v's byte offset in its buffer goes to `byteOffset` when given. Otherwise throws BAD_PARAM or
// SHAPE_MISMATCH naming `fn` and returns nullptr.
inline void* typedArrayArg(napi_env env, napi_value v, napi_typedarray_type type, size_t need, const char* fn, size_t* byteOffset = nullptr) {
  napi_typedarray_type got;
  size_t length, offset;
  void* data;
  napi_value buffer;
  if (napi_get_typedarray_info(env, v, &got, &length, &data, &buffer, &offset) != napi_ok || got != type) {
    napi_throw_type_error(env, "BAD_PARAM", (std::string(fn) + (type == napi_int32_array ? ": slots must be an Int32Array" : ": operands must be Float32Arrays")).c_str());
    return nullptr;
  }
  if (length < need) {
    napi_throw_range_error(env, "SHAPE_MISMATCH", (std::string(fn) + ": an operand is shorter than its dimensions require").c_str());
    return nullptr;
  }
  if (byteOffset != nullptr) *byteOffset = offset;
  // An empty array may have no data pointer; no caller asks for one with need = 0.
  return data;
}

// A function `name` calling `cb` with `data` (napi_get_cb_info's data) that holds `handle`, the
// external owning `data`: the native state lives as long as the function does.
inline bool boundFunction(napi_env env, const char* name, napi_callback cb, void* data, napi_value handle, napi_value* fn) {
  return napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, data, fn) == napi_ok &&
         napi_set_named_property(env, *fn, "handle", handle) == napi_ok;
}
