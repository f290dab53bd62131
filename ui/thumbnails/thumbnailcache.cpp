#include "thumbnails/thumbnailcache.h"

#include "upstep/io/thumbnail.h"

#include <QPainter>

#include <algorithm>

#ifdef __linux__
#include <sys/resource.h>
#include <unistd.h>
#endif

namespace upstep::ui {

namespace {

constexpr std::size_t kMaxQueued = 512;

QImage unreadablePlaceholder(int side)
{
    QImage image(side, side, QImage::Format_RGB888);
    image.fill(QColor(0xe0, 0xe0, 0xe0));
    QPainter painter(&image);
    painter.setPen(QColor(0xc6, 0x28, 0x28));
    painter.drawLine(side / 4, side / 4, 3 * side / 4, 3 * side / 4);
    painter.drawLine(3 * side / 4, side / 4, side / 4, 3 * side / 4);
    return image;
}

} // namespace

ThumbnailCache::ThumbnailCache(int side, QObject *parent) : QObject(parent), m_side(side)
{
    m_cache.setMaxCost(4000); // thumbnails, about 110 MB at 96 px
    for (int i = 0; i < 2; ++i)
        m_threads.emplace_back([this] { serve(); });
}

ThumbnailCache::~ThumbnailCache()
{
    {
        std::lock_guard lock(m_mutex);
        m_quit = true;
    }
    m_wake.notify_all();
    for (auto &thread : m_threads)
        thread.join();
}

QImage ThumbnailCache::image(const QString &path)
{
    if (const auto *cached = m_cache.object(path))
        return *cached;
    {
        std::lock_guard lock(m_mutex);
        if (m_queued.insert(path).second) {
            m_queue.push_back(path);
            if (m_queue.size() > kMaxQueued) {
                m_queued.erase(m_queue.front());
                m_queue.pop_front();
            }
        }
    }
    m_wake.notify_one();
    return {};
}

void ThumbnailCache::serve()
{
#ifdef __linux__
    // Decoding yields to the GUI thread: at the same priority, two decoders on a two-core machine
    // held the GUI thread off the CPU for up to 100 ms while scrolling through a million files.
    // (Linux takes a thread id here: the nice value of this thread alone.)
    setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 10);
#endif
    for (;;) {
        QString path;
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [this] { return m_quit || !m_queue.empty(); });
            if (m_quit)
                return;
            path = m_queue.back();
            m_queue.pop_back();
        }
        QImage image;
        try {
            auto thumbnail = core::makeThumbnail(path.toStdString(), m_side);
            image = QImage(thumbnail.rgb.data(), thumbnail.width, thumbnail.height, thumbnail.width * 3,
                           QImage::Format_RGB888)
                        .copy();
        } catch (const std::exception &) {
            image = unreadablePlaceholder(m_side);
        }
        QMetaObject::invokeMethod(this, [this, path, image] { deliver(path, image); }, Qt::QueuedConnection);
    }
}

void ThumbnailCache::deliver(const QString &path, const QImage &image)
{
    m_cache.insert(path, new QImage(image));
    {
        std::lock_guard lock(m_mutex);
        m_queued.erase(path);
    }
    emit ready(path);
}

QPixmap ThumbnailCache::enlarged(const QImage &image, int side)
{
    if (image.isNull() || std::max(image.width(), image.height()) * 2 > side)
        return QPixmap::fromImage(image);
    const int factor = side / std::max(image.width(), image.height());
    return QPixmap::fromImage(image.scaled(image.size() * factor, Qt::KeepAspectRatio, Qt::FastTransformation));
}

} // namespace upstep::ui
