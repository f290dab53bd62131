#pragma once
// A compact list of image files and their labels: what a scan finds, what a loader reads, what an
// embedding holds. A std::filesystem::path costs about 500 bytes (its string and a parsed list of
// components); a folder of a million images held that way took half a gigabyte. Here each entry
// is 24 bytes plus its file name, and each folder's name is stored once: about 45 MB a million.
//
// Entries are values: operator[] and the iterators build an ImageEntry (and its path) on demand,
// so read a path once per use rather than keep references into the list.
//
// Threading: a value type with no shared state; concurrent reads of one list are safe, a write
// needs exclusive access.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <iterator>
#include <numeric>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace upstep::core {

struct ImageEntry {
    std::filesystem::path path;
    int label = -1; ///< index into ImageFolder::classNames, or -1 without labels

    bool operator==(const ImageEntry &) const = default;
};

class ImageList {
public:
    class const_iterator {
    public:
        using iterator_category = std::input_iterator_tag;
        using value_type = ImageEntry;
        using reference = ImageEntry;
        using pointer = void;
        using difference_type = std::ptrdiff_t;

        const_iterator() = default;
        const_iterator(const ImageList *list, std::size_t index) : m_list(list), m_index(index) {}
        ImageEntry operator*() const { return (*m_list)[m_index]; }
        const_iterator &operator++()
        {
            ++m_index;
            return *this;
        }
        const_iterator operator++(int)
        {
            auto before = *this;
            ++m_index;
            return before;
        }
        bool operator==(const const_iterator &other) const { return m_index == other.m_index; }

    private:
        const ImageList *m_list = nullptr;
        std::size_t m_index = 0;
    };

    ImageList() = default;
    ImageList(std::initializer_list<ImageEntry> entries);

    std::size_t size() const { return m_items.size(); }
    bool empty() const { return m_items.empty(); }
    void reserve(std::size_t count) { m_items.reserve(count); }
    void clear();
    /// Gives back the spare capacity of a list that is done growing.
    void shrinkToFit();

    ImageEntry operator[](std::size_t i) const { return {path(i), label(i)}; }
    ImageEntry front() const { return (*this)[0]; }
    ImageEntry back() const { return (*this)[size() - 1]; }
    std::filesystem::path path(std::size_t i) const;
    /// The path's text, built without a std::filesystem::path.
    std::string pathString(std::size_t i) const;
    int label(std::size_t i) const { return m_items[i].label; }

    const_iterator begin() const { return {this, 0}; }
    const_iterator end() const { return {this, size()}; }

    void push_back(const ImageEntry &entry) { append(entry.path.native(), entry.label); }
    /// Adds a file by its path's text, which comes back byte for byte from path(i).
    void append(std::string_view path, int label);
    /// Adds entry i of other.
    void append(const ImageList &other, std::size_t i);
    void pop_back() { m_items.pop_back(); }

    /// The entries at the given indices, in that order.
    ImageList select(const std::vector<std::size_t> &indices) const;
    /// Removes the entries for which remove(i) is true, keeping the order of the rest. remove is
    /// called once per entry, in order, and may still read entry i (of this list) when called.
    template <class Predicate> std::size_t removeWhere(Predicate remove)
    {
        std::size_t kept = 0;
        for (std::size_t i = 0; i < m_items.size(); ++i)
            if (!remove(i))
                m_items[kept++] = m_items[i];
        const auto removed = m_items.size() - kept;
        m_items.resize(kept);
        return removed;
    }
    /// Sorts by path, in std::filesystem::path's order (element by element, so "a/b/c.png"
    /// comes before "a/b.png"): the order scans have always had, which epoch orders and seeded
    /// draws depend on. Entries are file paths: a path ending in '/' (which std::filesystem
    /// orders after the same path without it) is not told apart here.
    void sortByPath();

    bool operator==(const ImageList &other) const;

    /// Bytes held, for memory reports and tests.
    std::size_t memoryBytes() const;

private:
    struct Item {
        std::uint64_t nameBegin = 0; ///< into m_names
        std::uint32_t folder = 0;    ///< into m_folders
        std::uint32_t nameSize = 0;
        std::int32_t label = -1;
    };

    std::uint32_t internFolder(std::string_view folder);
    std::string_view folderOf(const Item &item) const { return m_folders[item.folder]; }
    std::string_view nameOf(const Item &item) const { return {m_names.data() + item.nameBegin, item.nameSize}; }

    std::vector<Item> m_items;
    std::string m_names;                ///< every file name, one after another
    std::vector<std::string> m_folders; ///< distinct folder prefixes, each with its trailing '/'
    std::unordered_map<std::string, std::uint32_t> m_folderIndex;
    std::uint32_t m_lastFolder = 0; ///< entries come folder by folder: most appends hit this one
};

/// A seeded draw of count entries, in path order: the entries std::shuffle(rng) would put first,
/// the same draw shuffling a std::vector of the entries made.
template <class Rng> ImageList seededDraw(const ImageList &images, std::size_t count, Rng &rng)
{
    std::vector<std::size_t> order(images.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::shuffle(order.begin(), order.end(), rng);
    order.resize(std::min(count, order.size()));
    std::sort(order.begin(), order.end()); // select then meets the folders one after another
    auto drawn = images.select(order);
    drawn.sortByPath();
    return drawn;
}

} // namespace upstep::core
