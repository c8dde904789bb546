// uring_backend.cpp: placeholder until the io_uring backend lands.
#include <stdexcept>

#include "io/backend.hpp"

namespace actorlab::io {

std::unique_ptr<Backend> make_uring_backend(const BackendOptions&) {
  throw std::runtime_error("backend uring: not built yet");
}

}  // namespace actorlab::io
