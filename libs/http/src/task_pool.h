#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace concord::http {

// A fixed set of threads taking tasks from one queue.
class TaskPool {
 public:
  explicit TaskPool(int threads);
  ~TaskPool();

  // Queues `task`, unless `max_waiting` tasks already wait (0: no bound). False if refused.
  bool Submit(std::function<void()> task, size_t max_waiting = 0);

  // Runs what is queued, then ends the threads.
  void Join();

 private:
  void Work();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool closed_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace concord::http
