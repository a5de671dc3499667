// echo: copies stdin to stdout, the smallest useful Faas function in C++.
#include <iostream>

int main() {
    std::ios::sync_with_stdio(false);
    std::cout << std::cin.rdbuf();
    return std::cout.good() ? 0 : 1;
}
