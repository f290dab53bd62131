#pragma once
// One colour per meaning, used in every view (docs/WORKBENCH.md "One colour per meaning"): base
// is grey, adapted is the accent, ensemble a third; curve colours for the monitors; categorical
// and sequential scales for maps. Readable on light and dark themes.
//
// Threading: constants.

#include <QColor>

#include <algorithm>

namespace upstep::ui::palette {

inline const QColor kBase{0x8a, 0x8f, 0x98};
inline const QColor kAdapted{0x1e, 0x88, 0xe5};
inline const QColor kEnsemble{0xe6, 0x7e, 0x22};
inline const QColor kTotal{0x1e, 0x88, 0xe5};   ///< the loss the optimiser sees: the accent
inline const QColor kCluster{0x43, 0xa0, 0x47};
inline const QColor kAnchor{0x8e, 0x44, 0xad};  ///< CVR
inline const QColor kDrift{0xd8, 0x1b, 0x60};
inline const QColor kCenter{0xf4, 0xa2, 0x1c};
inline const QColor kSource{0x00, 0x89, 0x7b};
inline const QColor kGood{0x2e, 0x7d, 0x32};
inline const QColor kBad{0xc6, 0x28, 0x28};

/// Twenty distinguishable colours for labels and clusters; they repeat beyond twenty (a map of
/// 256 clusters names the cluster on hover rather than by colour).
inline QColor categorical(int index)
{
    static const QRgb colours[] = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd, 0x8c564b, 0xe377c2,
                                   0x7f7f7f, 0xbcbd22, 0x17becf, 0xaec7e8, 0xffbb78, 0x98df8a, 0xff9896,
                                   0xc5b0d5, 0xc49c94, 0xf7b6d2, 0xc7c7c7, 0xdbdb8d, 0x9edae5};
    constexpr int count = sizeof(colours) / sizeof(colours[0]);
    return index < 0 ? kBase : QColor::fromRgb(colours[index % count]);
}

/// A sequential colour for t in [0, 1], dark violet through teal to yellow, for magnitudes such
/// as displacement; readable for the common colour-vision deficiencies.
inline QColor sequential(double t)
{
    static const QColor stops[] = {{0x44, 0x01, 0x54}, {0x3b, 0x52, 0x8b}, {0x21, 0x90, 0x8d}, {0x5d, 0xc8, 0x63},
                                   {0xfd, 0xe7, 0x25}};
    const double x = std::clamp(t, 0.0, 1.0) * 4;
    const int i = std::min(3, static_cast<int>(x));
    const double f = x - i;
    const auto mix = [f](int a, int b) { return static_cast<int>(a + (b - a) * f + 0.5); };
    return {mix(stops[i].red(), stops[i + 1].red()), mix(stops[i].green(), stops[i + 1].green()),
            mix(stops[i].blue(), stops[i + 1].blue())};
}

} // namespace upstep::ui::palette
