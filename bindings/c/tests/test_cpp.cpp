// The header from C++ (GoogleTest): extern "C" linkage, RAII over the free functions,
// and a round trip against the emulator.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"
#include "necid.h"

namespace {

template <typename T, void (*Free)(T *)>
struct Deleter {
  void operator()(T *p) const { Free(p); }
};
template <typename T, void (*Free)(T *)>
using Owned = std::unique_ptr<T, Deleter<T, Free>>;

using Client = Owned<necid_client_t, necid_client_free>;
using Registered = Owned<necid_registered_face_t, necid_registered_face_free>;
using Search = Owned<necid_search_result_t, necid_search_result_free>;
using Verification = Owned<necid_verification_t, necid_verification_free>;

h_emulator emu;

class Emulator : public ::testing::Environment {
 public:
  void SetUp() override { h_emulator_start(&emu); }
  void TearDown() override { h_emulator_stop(&emu); }
};

std::vector<uint8_t> face(const char *name) {
  h_image img = h_face(name);
  std::vector<uint8_t> v(img.data, img.data + img.len);
  h_image_free(&img);
  return v;
}

TEST(CApiFromCpp, StatusEnumIsUsableAndNamed) {
  necid_status_t s = NECID_ERR_NOT_FOUND;
  EXPECT_EQ(3, static_cast<int>(s));
  EXPECT_STREQ("NotFound", necid_status_name(s));
  EXPECT_STREQ("0.1.0", necid_version());
}

TEST(CApiFromCpp, RegisterSearchVerifyWithRaii) {
  Client client(h_client(&emu, nullptr));
  auto obama = face("obama.jpg");
  auto biden = face("biden.jpg");

  necid_registered_face_t *raw = nullptr;
  ASSERT_EQ(NECID_OK, necid_register_subject(client.get(), obama.data(), obama.size(), nullptr,
                                             0, &raw))
      << necid_last_error_message();
  Registered reg(raw);
  std::string subject = reg->subject_id;
  EXPECT_FALSE(subject.empty());

  necid_search_result_t *sr = nullptr;
  ASSERT_EQ(NECID_OK,
            necid_search(client.get(), obama.data(), obama.size(), -1, -1, nullptr, 0, &sr));
  Search hits(sr);
  ASSERT_EQ(1u, hits->candidate_count);
  EXPECT_EQ(subject, hits->candidates[0].subject_id);

  necid_verification_t *vr = nullptr;
  ASSERT_EQ(NECID_OK, necid_verify_subject(client.get(), subject.c_str(), biden.data(),
                                           biden.size(), &vr));
  Verification v(vr);
  EXPECT_FALSE(v->verified);

  EXPECT_EQ(NECID_OK, necid_unregister_subject(client.get(), subject.c_str()));
  EXPECT_EQ(NECID_ERR_NOT_FOUND, necid_unregister_subject(client.get(), subject.c_str()));
  EXPECT_EQ(404, necid_last_error_http_status());
}

TEST(CApiFromCpp, StdThreadsShareOneClient) {
  Client client(h_client(&emu, nullptr));
  auto astronaut = face("astronaut.png");
  std::vector<std::thread> threads;
  std::vector<int> ok(8, 0);
  for (int i = 0; i < 8; i++) {
    threads.emplace_back([&, i] {
      necid_face_verification_t *fv = nullptr;
      if (necid_verify_faces(client.get(), astronaut.data(), astronaut.size(), astronaut.data(),
                             astronaut.size(), &fv) == NECID_OK &&
          fv->verified)
        ok[i] = 1;
      necid_face_verification_free(fv);
    });
  }
  for (auto &t : threads) t.join();
  for (int i = 0; i < 8; i++) EXPECT_EQ(1, ok[i]) << "thread " << i;
}

}  // namespace

int main(int argc, char **argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new Emulator);  // gtest takes ownership
  return RUN_ALL_TESTS();
}
