// `upstep-bench-folder`: the workbench's target folder panel on a large folder, measured as a user
// meets it. It opens the panel (the scan's live count, the summary line and the thumbnail grid the
// window shows in its Images tab), chooses --folder, and reports:
//   - count_s: from choosing the folder to the summary line with the count (scan and display);
//   - first_thumbnail_s: to the first thumbnail painted in the grid;
//   - then it scrolls the grid --steps times, every --interval-ms, alternating jumps to seeded
//     random places (a drag of the scroll bar) with runs of small steps (the wheel);
//   - the GUI thread's stalls in each phase: a 1 ms timer on the GUI thread records every gap
//     between its ticks; a gap is time the event loop could not answer the user.
// Prints one JSON object. Needs a display (Xvfb, or QT_QPA_PLATFORM=offscreen).
#include "setup/targetfolderpanel.h"
#include "tasks/coretypes.h"
#include "thumbnails/thumbnailgrid.h"
#include "benchmeasure.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <QApplication>
#include <QElapsedTimer>
#include <QScrollBar>
#include <QTimer>

#include <iostream>
#include <map>
#include <random>

namespace {

/// The longest gap between ticks of a 1 ms GUI-thread timer, per phase of the benchmark.
class StallMonitor : public QObject {
public:
    explicit StallMonitor(const QElapsedTimer &clock) : m_clock(clock)
    {
        m_timer.setTimerType(Qt::PreciseTimer);
        m_timer.setInterval(1);
        connect(&m_timer, &QTimer::timeout, this, [this] { tick(); });
        m_last = m_clock.nsecsElapsed();
        m_timer.start();
    }
    void setPhase(const std::string &phase)
    {
        tick(); // a gap that ends now belongs to the phase that is ending
        m_phase = phase;
    }
    nlohmann::json report() const
    {
        nlohmann::json out;
        for (const auto &[phase, stats] : m_stats)
            out[phase] = {{"longest_ms", stats.longestMs},
                          {"over_50ms", stats.over50},
                          {"ticks", stats.ticks},
                          {"over_50ms_ended_at_s", stats.longEnds}};
        return out;
    }

private:
    struct Stats {
        double longestMs = 0;
        int over50 = 0, ticks = 0;
        std::vector<double> longEnds; ///< when each gap over 50 ms ended, seconds from the start
    };
    void tick()
    {
        const auto now = m_clock.nsecsElapsed();
        const double gapMs = static_cast<double>(now - m_last) / 1e6;
        m_last = now;
        auto &stats = m_stats[m_phase];
        stats.longestMs = std::max(stats.longestMs, gapMs);
        if (gapMs > 50) {
            ++stats.over50;
            stats.longEnds.push_back(static_cast<double>(now) / 1e9);
        }
        ++stats.ticks;
    }

    const QElapsedTimer &m_clock;
    QTimer m_timer;
    qint64 m_last = 0;
    std::string m_phase = "scan";
    std::map<std::string, Stats> m_stats;
};

} // namespace

int main(int argc, char **argv)
{
    CLI::App cli{"Measures the workbench's target folder panel on a large folder"};
    std::string folder;
    int steps = 300, intervalMs = 20;
    cli.add_option("--folder", folder, "Folder of images")->required()->check(CLI::ExistingDirectory);
    cli.add_option("--steps", steps, "Scroll steps")->capture_default_str();
    cli.add_option("--interval-ms", intervalMs, "Time between scroll steps")->capture_default_str();
    CLI11_PARSE(cli, argc, argv);

    QApplication app(argc, argv);
    upstep::ui::registerCoreTypes();
    upstep::ui::TargetFolderPanel panel;
    panel.resize(1200, 800);
    panel.show();
    QElapsedTimer clock;
    clock.start();
    StallMonitor stalls(clock);
    nlohmann::json row{{"folder", folder}};
    auto *grid = panel.grid();
    bool thumbnailSeen = false;
    QTimer scroller;
    int step = 0;
    std::mt19937 random(7);

    QObject::connect(&panel, &upstep::ui::TargetFolderPanel::scanFinished, [&](bool usable) {
        row["count_s"] = static_cast<double>(clock.nsecsElapsed()) / 1e9;
        row["images"] = panel.imageCount();
        row["status"] = panel.statusText().toStdString();
        row["peak_rss_mb_after_scan"] = upstep::bench::peakResidentBytes() / (1 << 20);
        stalls.setPhase("show");
        if (!usable)
            app.exit(1);
    });
    QObject::connect(grid->imageModel(), &upstep::ui::ImageListModel::thumbnailArrived, [&] {
        if (thumbnailSeen)
            return;
        thumbnailSeen = true;
        row["first_thumbnail_s"] = static_cast<double>(clock.nsecsElapsed()) / 1e9;
        stalls.setPhase("scroll");
        scroller.start(intervalMs);
    });
    QObject::connect(&scroller, &QTimer::timeout, [&] {
        auto *bar = grid->verticalScrollBar();
        if (step % 10 == 0) // a jump, as a drag of the scroll bar
            bar->setValue(std::uniform_int_distribution<int>(bar->minimum(), bar->maximum())(random));
        else // a wheel step
            bar->setValue(bar->value() + bar->singleStep() * 3);
        if (step % 50 == 0)
            row["scroll_range_every_50"].push_back(bar->maximum());
        if (++step < steps)
            return;
        scroller.stop();
        stalls.setPhase("done");
        row["scroll_steps"] = steps;
        row["scroll_range"] = bar->maximum();
        row["stalls"] = stalls.report();
        row["peak_rss_mb"] = upstep::bench::peakResidentBytes() / (1 << 20);
        std::cout << row.dump() << std::endl;
        app.quit();
    });
    panel.setFolder(QString::fromStdString(folder));
    return app.exec();
}
