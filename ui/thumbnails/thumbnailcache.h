#pragma once
// Lazily decoded thumbnails for image grids of any size: views ask for a path, get a cached
// image or nothing yet, and are told when it is ready. Requests are served newest first by two
// background threads, and the queue forgets its oldest requests, so scrolling quickly through
// 100k files decodes only what the user stops on.
//
// Threading: request() and cached() on the GUI thread. Decoding runs on the cache's own
// threads; ready() is emitted from them and reaches GUI-thread receivers queued. The destructor
// stops and joins the threads.

#include <QCache>
#include <QImage>
#include <QPixmap>
#include <QObject>
#include <QString>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace upstep::ui {

class ThumbnailCache : public QObject {
    Q_OBJECT
public:
    explicit ThumbnailCache(int side = 96, QObject *parent = nullptr);
    ~ThumbnailCache() override;

    int side() const { return m_side; }
    /// The thumbnail if decoded, else a null image (and the path is queued). Unreadable files
    /// come back as a marked placeholder.
    QImage image(const QString &path);
    bool isCached(const QString &path) const { return m_cache.contains(path); }
    /// A thumbnail shown at side pixels: small images (28 px digits) enlarged with whole pixels so
    /// they stay crisp; larger ones as they are. A null image gives a null pixmap.
    static QPixmap enlarged(const QImage &image, int side);

signals:
    void ready(const QString &path);

private:
    void serve();
    void deliver(const QString &path, const QImage &image);

    const int m_side;
    QCache<QString, QImage> m_cache; ///< GUI thread only
    std::mutex m_mutex;              ///< guards m_queue, m_queued and m_quit
    std::condition_variable m_wake;
    std::deque<QString> m_queue;     ///< newest at the back
    std::set<QString> m_queued;
    bool m_quit = false;
    std::vector<std::thread> m_threads;
};

} // namespace upstep::ui
